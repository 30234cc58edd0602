"""The service's figures for its managers and funders: a district's month, as JSON, CSV, PDF."""
