"""The dashboard's static files, served under /ui/static/ (package data; nothing is fetched from
the internet)."""
