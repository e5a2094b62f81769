"""One module per field operator; :mod:`gateway.transform.registry` maps type names to them."""

from gateway.transform.operators.band import Band, BandParams
from gateway.transform.operators.base import NoParams, Operator, OperatorParams
from gateway.transform.operators.drop import Drop
from gateway.transform.operators.encrypt import Encrypt
from gateway.transform.operators.keep import Keep
from gateway.transform.operators.month import Month
from gateway.transform.operators.pseudonymise import Pseudonymise, PseudonymiseParams
from gateway.transform.operators.truncate import Truncate, TruncateParams

__all__ = [
    "Band",
    "BandParams",
    "Drop",
    "Encrypt",
    "Keep",
    "Month",
    "NoParams",
    "Operator",
    "OperatorParams",
    "Pseudonymise",
    "PseudonymiseParams",
    "Truncate",
    "TruncateParams",
]
