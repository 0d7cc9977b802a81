"""API endpoints for the pledges step."""

from ninja import Router

router = Router(tags=["pledges"])
