"""The operators' REST API under ``/api/v1``.

Authenticated, authorised by role and district, audited, and described by an OpenAPI 3.1
document generated from its pydantic models.
"""
