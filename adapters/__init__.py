"""Source and sink adapters (ERP, customs, insurer): the only IO besides the store."""
