"""Sample ERP exports (CSV, CP949 CSV, SAP billing list, JSON Lines) and their generator."""
