"""What the use-case tests share: a product the fake catalog knows, and a fresh unit of work."""

from uuid import UUID, uuid4

import pytest

from tests.unit.fakes import FakeCatalog, FakeUnitOfWork


@pytest.fixture
def product() -> UUID:
    return uuid4()


@pytest.fixture
def catalog(product: UUID) -> FakeCatalog:
    return FakeCatalog(product)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()
