"""The stock ledger: every change of stock is a movement; levels follow in the same transaction.

`record_movement` is the only function that writes StockMovement or StockLevel. The level is
updated with one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING` (never read-modify-write
in Python), so concurrent movements on one item end with the exact total.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from items.errors import InsufficientStock, ItemsError
from items.models import Item, StockLevel, StockMovement
from venues.models import Membership, Organization, StorageArea
from venues.services import record_audit, require_role

Kind = StockMovement.Kind
ANY_MEMBER = (Membership.Role.ADMIN, Membership.Role.MANAGER, Membership.Role.STAFF)
MANAGERS = (Membership.Role.ADMIN, Membership.Role.MANAGER)


def _upsert_level(*, organization_id: int, item_id: int, storage_area_id: int, delta: Decimal) -> Decimal:
    table = StockLevel._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (organization_id, item_id, storage_area_id, quantity, updated_at)
            VALUES (%s, %s, %s, %s, now())
            ON CONFLICT (item_id, storage_area_id)
            DO UPDATE SET quantity = {table}.quantity + EXCLUDED.quantity, updated_at = now()
            RETURNING quantity
            """,
            [organization_id, item_id, storage_area_id, delta],
        )
        return cursor.fetchone()[0]


@transaction.atomic
def record_movement(
    *,
    organization: Organization,
    item: Item,
    storage_area: StorageArea,
    quantity,
    kind: str,
    business_date: date | None = None,
    actor=None,
    reason: str = "",
    source_type: str = "",
    source_id: str = "",
    allow_negative: bool | None = None,
) -> tuple[StockMovement, Decimal]:
    """Append one movement and move the level by `quantity`. Returns (movement, new level).

    Outgoing kinds (transfer out, write-off, quarantine) may not take more than is there:
    InsufficientStock is raised and nothing is written. Counts and receipts may leave a
    level negative (a late invoice), which the UI flags.
    """
    quantity = Decimal(str(quantity))
    if quantity == 0:
        raise ItemsError("A stock movement needs a quantity other than zero.")
    if item.organization_id != organization.pk or storage_area.organization_id != organization.pk:
        raise ItemsError("The item and the storage area must belong to this organization.")
    movement = StockMovement.objects.create(
        organization=organization, item=item, storage_area=storage_area, quantity=quantity, kind=kind,
        business_date=business_date or timezone.localdate(), actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:300], source_type=source_type, source_id=str(source_id),
    )  # fmt: skip
    level = _upsert_level(
        organization_id=organization.pk, item_id=item.pk, storage_area_id=storage_area.pk, delta=quantity
    )
    if allow_negative is None:
        allow_negative = kind not in StockMovement.OUTGOING_KINDS
    if level < 0 and not allow_negative:
        on_hand = level - quantity
        raise InsufficientStock(
            f"Only {on_hand.normalize():f} of {item} in {storage_area.name}; cannot take {(-quantity).normalize():f}."
        )
    return movement, level


def _positive(quantity) -> Decimal:
    value = Decimal(str(quantity))
    if value <= 0:
        raise ItemsError("Enter a quantity greater than zero.")
    return value


@dataclass
class Transfer:
    out: StockMovement
    into: StockMovement
    reference: str


@transaction.atomic
def transfer_stock(*, actor, organization: Organization, item: Item, from_area: StorageArea, to_area: StorageArea,
                   quantity, reason: str = "", business_date: date | None = None,
                   kinds: tuple[str, str] = (Kind.TRANSFER_OUT, Kind.TRANSFER_IN)) -> Transfer:  # fmt: skip
    """Move units between storage areas (of the same or another venue): two linked movements."""
    require_role(actor=actor, organization=organization, roles=ANY_MEMBER)
    quantity = _positive(quantity)
    if from_area.pk == to_area.pk:
        raise ItemsError("Choose two different storage areas.")
    reference = str(uuid.uuid4())
    common = {"organization": organization, "item": item, "business_date": business_date, "actor": actor,
              "reason": reason, "source_type": "transfer", "source_id": reference}  # fmt: skip
    # Each movement locks its level row until commit. Taking the two locks in one order (by storage
    # area) keeps an A->B and a B->A transfer running at the same time from deadlocking.
    # The out side may never go below zero, whatever its kind (a release out of quarantine too).
    legs = {
        "out": dict(storage_area=from_area, quantity=-quantity, kind=kinds[0], allow_negative=False),
        "into": dict(storage_area=to_area, quantity=quantity, kind=kinds[1]),
    }
    recorded = {}
    for leg, args in sorted(legs.items(), key=lambda pair: pair[1]["storage_area"].pk):
        recorded[leg], _ = record_movement(**common, **args)
    out, into = recorded["out"], recorded["into"]
    record_audit(organization=organization, actor=actor, action="stock.transferred", obj=item,
                 summary=f"{quantity.normalize():f} of {item} moved from {from_area} to {to_area}"
                 + (f": {reason}" if reason else ""))  # fmt: skip
    return Transfer(out=out, into=into, reference=reference)


@transaction.atomic
def write_off_stock(*, actor, organization: Organization, item: Item, storage_area: StorageArea, quantity,
                    reason: str, business_date: date | None = None) -> StockMovement:  # fmt: skip
    """Take broken, spilled or expired units out of stock. A reason is required."""
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    quantity = _positive(quantity)
    if not (reason or "").strip():
        raise ItemsError("Say why the stock is written off (e.g. broken bottle).")
    movement, _ = record_movement(organization=organization, item=item, storage_area=storage_area,
                                  quantity=-quantity, kind=Kind.WRITE_OFF, business_date=business_date,
                                  actor=actor, reason=reason.strip())  # fmt: skip
    record_audit(organization=organization, actor=actor, action="stock.written_off", obj=item,
                 summary=f"{quantity.normalize():f} of {item} written off in {storage_area}: {reason.strip()}")  # fmt: skip
    return movement


def quarantine_area_for(*, organization: Organization, venue) -> StorageArea:
    """The venue's quarantine area, created on first use."""
    area, _ = StorageArea.objects.get_or_create(
        organization=organization, venue=venue, is_quarantine=True, defaults={"name": "Quarantine"}
    )
    return area


@transaction.atomic
def quarantine_stock(*, actor, organization: Organization, item: Item, storage_area: StorageArea, quantity,
                     reason: str, business_date: date | None = None) -> Transfer:  # fmt: skip
    """Hold units back (damaged, recalled, awaiting credit) in the venue's quarantine area."""
    if not (reason or "").strip():
        raise ItemsError("Say why the stock is quarantined (e.g. recall, damaged case).")
    if storage_area.is_quarantine:
        raise ItemsError("That stock is already in quarantine.")
    area = quarantine_area_for(organization=organization, venue=storage_area.venue)
    return transfer_stock(actor=actor, organization=organization, item=item, from_area=storage_area, to_area=area,
                          quantity=quantity, reason=reason.strip(), business_date=business_date,
                          kinds=(Kind.QUARANTINE, Kind.QUARANTINE))  # fmt: skip


@transaction.atomic
def release_from_quarantine(*, actor, organization: Organization, item: Item, quarantine_area: StorageArea,
                            to_area: StorageArea, quantity, reason: str = "") -> Transfer:  # fmt: skip
    if not quarantine_area.is_quarantine:
        raise ItemsError(f"{quarantine_area.name} is not a quarantine area.")
    return transfer_stock(actor=actor, organization=organization, item=item, from_area=quarantine_area,
                          to_area=to_area, quantity=quantity, reason=reason or "released from quarantine",
                          kinds=(Kind.RELEASE, Kind.RELEASE))  # fmt: skip


@dataclass
class LedgerMismatch:
    organization_id: int
    item_id: int
    storage_area_id: int
    level: Decimal | None
    movements_total: Decimal

    def __str__(self):
        level = "missing" if self.level is None else f"{self.level:f}"
        return (f"organization {self.organization_id}, item {self.item_id}, storage area {self.storage_area_id}: "
                f"level {level} but movements sum to {self.movements_total:f}")  # fmt: skip


def find_ledger_mismatches(*, organization: Organization | None = None) -> list[LedgerMismatch]:
    """Every (item, storage area) whose level differs from the sum of its movements.

    Reads what the connection may see: one organization under RLS, or all under a bypass.
    """
    levels, movements = StockLevel._meta.db_table, StockMovement._meta.db_table
    where = "WHERE organization_id = %s" if organization else ""
    params = [organization.pk, organization.pk] if organization else []
    sql = f"""
        WITH m AS (SELECT organization_id, item_id, storage_area_id, SUM(quantity) AS total
                   FROM {movements} {where} GROUP BY 1, 2, 3),
             l AS (SELECT organization_id, item_id, storage_area_id, quantity FROM {levels} {where})
        SELECT COALESCE(l.organization_id, m.organization_id), COALESCE(l.item_id, m.item_id),
               COALESCE(l.storage_area_id, m.storage_area_id), l.quantity, COALESCE(m.total, 0)
        FROM l FULL OUTER JOIN m USING (item_id, storage_area_id)
        WHERE l.quantity IS DISTINCT FROM COALESCE(m.total, 0)
          AND NOT (l.quantity IS NULL AND COALESCE(m.total, 0) = 0)
        ORDER BY 1, 2, 3
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [LedgerMismatch(*row) for row in cursor.fetchall()]


def rebuild_levels(*, organization: Organization, item_ids: list[int]) -> None:
    """Set the items' levels to the sum of their movements (after a merge moves movements)."""
    levels, movements = StockLevel._meta.db_table, StockMovement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {levels} WHERE organization_id = %s AND item_id = ANY(%s)",
                       [organization.pk, item_ids])  # fmt: skip
        cursor.execute(
            f"""INSERT INTO {levels} (organization_id, item_id, storage_area_id, quantity, updated_at)
                SELECT organization_id, item_id, storage_area_id, SUM(quantity), now() FROM {movements}
                WHERE organization_id = %s AND item_id = ANY(%s) GROUP BY 1, 2, 3""",
            [organization.pk, item_ids],
        )
