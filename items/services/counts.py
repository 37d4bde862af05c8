"""Stock counts: someone walks a storage area and says what is on the shelf.

A count is started for one storage area (at most one open count per area: a partial unique
constraint), lines are entered as full units plus tenths of an open bottle, and finishing
the count turns each difference from the ledger into one `count` movement dated by the
count's business date. Items with stock in the area that nobody counted are left as they
are: the finish page lists them so the counter can go back and count them first.

Lines are saved one at a time while the counter types, so they carry who counted them and
when (`counted_by`, `counted_at`) instead of an audit entry each; starting, finishing and
cancelling a count are audited.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from items.errors import ItemsError
from items.models import Item, StockCount, StockCountLine, StockLevel, StockMovement
from items.services.ledger import ANY_MEMBER, MANAGERS, record_movement
from venues.models import Organization, StorageArea
from venues.services import record_audit, require_role


class CountError(ItemsError):
    """A count can't be started, changed or finished as asked."""


class CountNotOpen(CountError):
    """The count was finished or cancelled (by this user a moment ago, or by someone else)."""

    def __init__(self, count: StockCount):
        self.count = count
        if count.status == StockCount.Status.FINISHED:
            who = f" by {count.finished_by}" if count.finished_by_id else ""
            message = f"This count of {count.storage_area.name} was already finished{who}; nothing was changed."
        else:
            message = f"This count of {count.storage_area.name} was cancelled; nothing was changed."
        super().__init__(message)


def venue_today(storage_area: StorageArea) -> date:
    """Today where the stock is: the venue's timezone decides when the business day turns."""
    try:
        zone = zoneinfo.ZoneInfo(storage_area.venue.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    return timezone.localdate(timezone=zone)


def _check_same_organization(organization: Organization, *objects) -> None:
    for obj in objects:
        if obj.organization_id != organization.pk:
            raise CountError("That belongs to another organization.")


def _locked_open_count(*, organization: Organization, count: StockCount) -> StockCount:
    """The count row, locked until the transaction ends; CountNotOpen unless it is open.

    Lines and the finish both take this lock, so a line can't be saved into a count while
    it is being finished, and two finishes (a double click, two people) run one at a time.
    """
    _check_same_organization(organization, count)
    locked = (
        StockCount.objects.for_org(organization).select_for_update(of=("self",))
        .select_related("storage_area__venue", "finished_by").get(pk=count.pk)
    )  # fmt: skip
    if locked.status != StockCount.Status.OPEN:
        raise CountNotOpen(locked)
    return locked


@transaction.atomic
def start_count(*, actor, organization: Organization, storage_area: StorageArea,
                business_date: date | None = None, note: str = "") -> StockCount:  # fmt: skip
    """Open a count of one storage area, dated `business_date` (default: today at the venue).

    A count after closing time may be dated the day before (the business day it belongs to),
    never later than today. Raises CountError if the area already has a count in progress,
    is a quarantine area (held stock is not counted) or is inactive, or for a future date.
    """
    require_role(actor=actor, organization=organization, roles=ANY_MEMBER)
    _check_same_organization(organization, storage_area)
    if storage_area.is_quarantine:
        raise CountError(f"{storage_area.name} holds quarantined stock, which is not counted; release it first.")
    if not storage_area.is_active:
        raise CountError(f"{storage_area.name} is inactive; it can't be counted.")
    today = venue_today(storage_area)
    business_date = business_date or today
    if business_date > today:
        raise CountError(f"A count can't be dated after today ({today:%b %-d, %Y} at {storage_area.venue.name}).")
    try:
        # A savepoint, so the unique violation of a concurrent start leaves our transaction usable.
        with transaction.atomic():
            count = StockCount.objects.create(
                organization=organization, storage_area=storage_area, business_date=business_date,
                started_by=actor if getattr(actor, "pk", None) else None, note=(note or "").strip()[:300],
            )  # fmt: skip
    except IntegrityError:
        raise CountError(_already_open_message(organization=organization, storage_area=storage_area)) from None
    record_audit(organization=organization, actor=actor, action="stock.count_started", obj=count,
                 summary=f"Count of {storage_area} started for {business_date:%b %-d, %Y}")  # fmt: skip
    return count


def _already_open_message(*, organization: Organization, storage_area: StorageArea) -> str:
    open_count = (
        StockCount.objects.for_org(organization).filter(storage_area=storage_area, status=StockCount.Status.OPEN)
        .select_related("started_by").first()
    )  # fmt: skip
    who = f", started by {open_count.started_by}" if open_count and open_count.started_by_id else ""
    return f"A count of {storage_area.name} is already in progress{who}. Continue that count, or cancel it first."


def _whole_number(value, *, label: str, low: int, high: int | None = None) -> int:
    text = str(value if value is not None else "").strip() or "0"
    try:
        number = Decimal(text)
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise CountError(f"{label}: enter a whole number, not “{text}”.")
    number = int(number)
    if number < low or (high is not None and number > high):
        raise CountError(f"{label}: enter {low} to {high}." if high is not None else f"{label}: enter {low} or more.")
    return number


@transaction.atomic
def set_count_line(*, actor, organization: Organization, count: StockCount, item: Item,
                   full_units, tenths=0) -> StockCountLine:  # fmt: skip
    """Record what was counted of `item`: full units and tenths (0–9) of an open one.

    Saving the same line again replaces it (the last entry wins), so a retried request or a
    corrected number never counts twice. Raises CountError for numbers out of range and
    CountNotOpen once the count is finished or cancelled.
    """
    require_role(actor=actor, organization=organization, roles=ANY_MEMBER)
    _check_same_organization(organization, item)
    full_units = _whole_number(full_units, label=f"Full units of {item}", low=0, high=999_999)
    tenths = _whole_number(tenths, label=f"Tenths of {item}", low=0, high=9)
    count = _locked_open_count(organization=organization, count=count)
    line, _ = StockCountLine.objects.update_or_create(
        count=count, item=item,
        defaults={"organization": organization, "full_units": full_units, "tenths": tenths,
                  "counted_by": actor if getattr(actor, "pk", None) else None, "counted_at": timezone.now()},
    )  # fmt: skip
    return line


@transaction.atomic
def remove_count_line(*, actor, organization: Organization, count: StockCount, item: Item) -> bool:
    """Forget what was counted of `item` (it is then "not counted"). True if there was a line."""
    require_role(actor=actor, organization=organization, roles=ANY_MEMBER)
    _check_same_organization(organization, item)
    count = _locked_open_count(organization=organization, count=count)
    deleted, _ = StockCountLine.objects.for_org(organization).filter(count=count, item=item).delete()
    return deleted > 0


@dataclass
class CountResult:
    count: StockCount
    lines: list[StockCountLine]
    adjusted: list[StockCountLine] = field(default_factory=list)
    movements: list[StockMovement] = field(default_factory=list)

    @property
    def net_adjustment(self) -> Decimal:
        return sum((line.adjustment for line in self.adjusted), Decimal(0))


@transaction.atomic
def finish_count(*, actor, organization: Organization, count: StockCount) -> CountResult:
    """Close the count: for each line, adjust the ledger to what was counted.

    In one transaction, with the count and the affected levels locked: expected = the
    item's current level in the area (0 if none), adjustment = counted − expected; a
    non-zero adjustment becomes one `count` movement dated by the count's business date.
    Expected and adjustment are stored on the line. Items not counted are not touched.
    Raises CountNotOpen if the count is no longer open (finishing twice adjusts once).
    """
    require_role(actor=actor, organization=organization, roles=ANY_MEMBER)
    count = _locked_open_count(organization=organization, count=count)
    area = count.storage_area
    lines = list(StockCountLine.objects.for_org(organization).filter(count=count).select_related("item")
                 .order_by("item_id"))  # fmt: skip
    # Lock the levels in item order (as every multi-item writer should) so a sale or a receipt
    # arriving meanwhile waits, and the adjustment is exact against what we read.
    levels = {
        level.item_id: level.quantity
        for level in StockLevel.objects.for_org(organization)
        .filter(storage_area=area, item_id__in=[line.item_id for line in lines])
        .order_by("item_id").select_for_update()
    }  # fmt: skip
    result = CountResult(count=count, lines=lines)
    for line in lines:
        line.expected_quantity = levels.get(line.item_id, Decimal(0))
        line.adjustment = line.quantity - line.expected_quantity
        if line.adjustment:
            movement, _ = record_movement(
                organization=organization, item=line.item, storage_area=area, quantity=line.adjustment,
                kind=StockMovement.Kind.COUNT, business_date=count.business_date, actor=actor,
                reason=f"Count of {area.name} on {count.business_date:%b %-d, %Y}",
                source_type="count", source_id=str(count.pk),
            )  # fmt: skip
            result.movements.append(movement)
            result.adjusted.append(line)
    StockCountLine.objects.bulk_update(lines, ["expected_quantity", "adjustment"])
    count.status = StockCount.Status.FINISHED
    count.finished_by = actor if getattr(actor, "pk", None) else None
    count.finished_at = timezone.now()
    count.save(update_fields=["status", "finished_by", "finished_at"])
    net = result.net_adjustment
    record_audit(
        organization=organization, actor=actor, action="stock.count_finished", obj=count,
        summary=(f"Count of {area} finished: {len(lines)} item{'s' if len(lines) != 1 else ''} counted, "
                 f"{len(result.adjusted)} adjusted (net {net.normalize():+f})"),
        changes={"lines": len(lines), "adjusted": len(result.adjusted), "net": f"{net.normalize():f}"},
    )  # fmt: skip
    return result


@transaction.atomic
def cancel_count(*, actor, organization: Organization, count: StockCount) -> StockCount:
    """Abandon an open count without touching stock. Its starter or a manager may cancel it."""
    membership = require_role(actor=actor, organization=organization, roles=ANY_MEMBER)
    count = _locked_open_count(organization=organization, count=count)
    if membership is not None and membership.role not in MANAGERS and count.started_by_id != actor.pk:
        raise CountError("Only the person who started this count or a manager can cancel it.")
    count.status = StockCount.Status.CANCELLED
    count.finished_by = actor if getattr(actor, "pk", None) else None
    count.finished_at = timezone.now()
    count.save(update_fields=["status", "finished_by", "finished_at"])
    record_audit(organization=organization, actor=actor, action="stock.count_cancelled", obj=count,
                 summary=f"Count of {count.storage_area} cancelled; stock unchanged")  # fmt: skip
    return count
