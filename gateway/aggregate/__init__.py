"""aggregate stage: exposure totals per bucket, small buckets merged or suppressed.

:func:`bucket_key` derives a record's bucket from its transformed attachment only;
:class:`Aggregator` (or :func:`aggregate`) sums integer minor amounts per bucket and applies
the k rule. The totals are then encrypted by :mod:`gateway.crypto`.
"""

from gateway.aggregate.aggregator import (
    Aggregate,
    Aggregator,
    Bucket,
    Suppressed,
    aggregate,
)
from gateway.aggregate.buckets import ANY, DIMENSIONS, BucketKey, bucket_key, check_dimensions
from gateway.aggregate.errors import AggregationError

__all__ = [
    "ANY",
    "DIMENSIONS",
    "Aggregate",
    "AggregationError",
    "Aggregator",
    "Bucket",
    "BucketKey",
    "Suppressed",
    "aggregate",
    "bucket_key",
    "check_dimensions",
]
