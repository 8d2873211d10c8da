"""Report downloads: CSV and XLSX renderings of the JSON reports."""
