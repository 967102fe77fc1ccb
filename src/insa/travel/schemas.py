"""The shapes of the stateless computation's input (``insa travel compute``, a fixed public
contract): one trip with its tickets and nights. Money is integer won, at most
:data:`MAX_WON` for one fare, one night or one receipt."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_WON = 100_000_000  # the computation's bound for one fare, one night or one receipt
Won = Annotated[int, Field(ge=0, le=MAX_WON, strict=True)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ticket(_M):
    mode: Literal["rail", "bus", "air", "ship"]
    class_: Literal["standard", "first"] = Field("standard", alias="class")
    fare: Won
    status: Literal["issued", "changed", "refunded"] = "issued"
    standard_fare: Won | None = None


class Night(_M):
    region: Literal["seoul", "metro", "other"]
    lodging: Won = 0
    relatives: bool = False
    unavoidable: bool = False


class Trip(_M):
    id: str | int
    band: Literal[1, 2]
    kind: Literal["outside", "within"] = "outside"
    start: dt.datetime
    end: dt.datetime
    official_vehicle: bool = False
    tickets: list[Ticket] = []
    nights: list[Night] = []

    @model_validator(mode="after")
    def _order(self) -> Trip:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if (self.end.date() - self.start.date()).days > 366:
            raise ValueError("a trip of more than a year")
        return self
