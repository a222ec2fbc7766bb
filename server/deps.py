"""FastAPI dependencies: the settings, a database session and the blob store built by create_app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from server.core.config import Settings
from server.core.storage import BlobStore


# The dependencies that only read app.state are coroutines: FastAPI runs a plain `def` dependency in the thread
# pool, a hop that costs more than the lookup itself on every request.
async def get_settings(request: Request) -> Settings:
    """The settings create_app was given."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The engine create_app built."""
    engine: Engine = request.app.state.engine
    return engine


async def get_store(request: Request) -> BlobStore:
    """The blob store under the data directory."""
    store: BlobStore = request.app.state.store
    return store


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A session per request, closed as soon as the handler returns (not after a slow client has read the
    response), so a connection is never held while bytes travel; services commit explicitly."""
    with Session(engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
StoreDep = Annotated[BlobStore, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
