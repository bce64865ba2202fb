"""Location writes: open a location, close an empty one. Same shape as the stock writes,
`use_case(command, *, uow)`; they need no catalog."""

from __future__ import annotations

from uuid import uuid4

from app.domain import use_cases as rules
from app.domain.errors import DuplicateLocationCode
from app.domain.models import Location
from app.domain.repositories import UnitOfWork
from app.domain.schemas import CreateLocation, DeactivateLocation


def create_location(command: CreateLocation, *, uow: UnitOfWork) -> Location:
    """Open an active location; a code another location has is DUPLICATE_LOCATION_CODE."""
    with uow:
        now = uow.now()
        location = Location(uuid4(), command.code, command.name, active=True, created_at=now)
        # The unique constraint decides between concurrent requests for one code.
        if not uow.locations.add(location):
            raise DuplicateLocationCode(
                f"A location with code {command.code} exists.", field=("code",)
            )
        uow.outbox.add([rules.location_created(location, now=now)])
        uow.commit()
    return location


def deactivate_location(command: DeactivateLocation, *, uow: UnitOfWork) -> Location:
    """Close a location that holds no stock; closing a closed one changes nothing."""
    with uow:
        now = uow.now()
        # Deactivating first waits for the stock writes that hold the location; what they
        # committed is then seen by the emptiness check, and later writes see it inactive.
        closed = uow.locations.deactivate(command.location_id)
        if closed is None:
            (found,) = uow.locations.get_many([command.location_id]) or (None,)
            if found is None:
                raise rules.location_not_found(field="id")
            return found  # already inactive
        rules.check_empty(closed, holds_stock=uow.stock.holds_stock(closed.id))
        uow.outbox.add([rules.location_deactivated(closed, now=now)])
        uow.commit()
    return closed
