"""Many movements on one item at once, each from its own database connection, end exact.

Real threads against real PostgreSQL (transaction=True: every thread commits for itself and
sees only what others committed). Each thread sets the tenant for its own connection, as a
request or a Celery task does, so the ledger runs under row-level security here too.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection

from inventory_site.tenancy import tenant_context
from items.errors import InsufficientStock
from items.models import StockLevel, StockMovement
from items.services import ledger
from items.services.catalog import create_item
from venues import services as venue_services

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
MOVEMENTS_PER_THREAD = 50


def run_in_threads(organization, workers) -> list[BaseException]:
    """Run each worker in its own thread and connection, all released at once; their errors."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(worker):
        try:
            with tenant_context(organization_id=organization.pk):
                barrier.wait(timeout=30)
                worker()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung (a lock never released?)"
    return errors


def level_of(item, area) -> Decimal:
    return StockLevel.objects.get(item=item, storage_area=area).quantity


def sum_of_movements(item, area) -> Decimal:
    return sum(StockMovement.objects.filter(item=item, storage_area=area).values_list("quantity", flat=True), Decimal(0))


@pytest.fixture
def stock(tenant):
    organization = tenant.organization
    item, _ = create_item(actor=tenant.admin, organization=organization, name="Tito's Handmade Vodka", size="750ML")
    main = tenant.venue.storage_areas.get(is_primary=True)
    back_bar = venue_services.create_storage_area(actor=tenant.admin, organization=organization, venue=tenant.venue,
                                                  name="Back bar")  # fmt: skip
    return tenant, item, main, back_bar


def test_eight_threads_of_signed_decimal_movements_end_with_the_exact_total(stock):
    tenant, item, main, _ = stock
    rng = random.Random(20240611)
    plans = [[Decimal(rng.randint(-5000, 9000)) / 1000 for _ in range(MOVEMENTS_PER_THREAD)] for _ in range(THREADS)]
    plans = [[q for q in plan if q] for plan in plans]

    def worker(plan):
        def work():
            for quantity in plan:
                ledger.record_movement(organization=tenant.organization, item=item, storage_area=main,
                                       quantity=quantity, kind=StockMovement.Kind.CORRECTION, actor=tenant.manager)  # fmt: skip
        return work

    errors = run_in_threads(tenant.organization, [worker(plan) for plan in plans])

    assert errors == []
    expected = sum((q for plan in plans for q in plan), Decimal(0))
    assert level_of(item, main) == expected
    assert sum_of_movements(item, main) == expected
    assert StockMovement.objects.filter(item=item, storage_area=main).count() == sum(len(p) for p in plans)
    assert ledger.find_ledger_mismatches(organization=tenant.organization) == []


def test_concurrent_transfers_both_ways_and_write_offs_keep_the_ledger_exact_and_never_below_zero(stock):
    tenant, item, main, back_bar = stock
    organization = tenant.organization
    for area in (main, back_bar):
        ledger.record_movement(organization=organization, item=item, storage_area=area, quantity=20,
                               kind=StockMovement.Kind.OPENING)  # fmt: skip
    succeeded: dict[str, list[Decimal]] = defaultdict(list)
    refused: dict[str, int] = defaultdict(int)
    levels_after_outgoing: list[Decimal] = []
    lock = threading.Lock()

    def transfers(name, from_area, to_area, seed):
        rng = random.Random(seed)

        def work():
            for _ in range(40):
                quantity = Decimal(rng.randint(5, 40)) / 10
                try:
                    ledger.transfer_stock(actor=tenant.manager, organization=organization, item=item,
                                                  from_area=from_area, to_area=to_area, quantity=quantity)  # fmt: skip
                except InsufficientStock:
                    with lock:
                        refused[name] += 1
                else:
                    with lock:
                        succeeded[name].append(quantity)
        return work

    def write_offs(name, area, seed):
        rng = random.Random(seed)

        def work():
            for _ in range(40):
                quantity = Decimal(rng.randint(2, 15)) / 10
                try:
                    # The ledger call a write-off makes, which also returns the level it left behind.
                    _, level = ledger.record_movement(organization=organization, item=item, storage_area=area,
                                                      quantity=-quantity, kind=StockMovement.Kind.WRITE_OFF,
                                                      actor=tenant.manager, reason="broken")  # fmt: skip
                except InsufficientStock:
                    with lock:
                        refused[name] += 1
                else:
                    with lock:
                        succeeded[name].append(quantity)
                        levels_after_outgoing.append(level)
        return work

    errors = run_in_threads(organization, [
        transfers("main_to_bar", main, back_bar, 1), transfers("main_to_bar", main, back_bar, 2),
        transfers("bar_to_main", back_bar, main, 3), transfers("bar_to_main", back_bar, main, 4),
        write_offs("write_off_main", main, 5), write_offs("write_off_main", main, 6),
        write_offs("write_off_bar", back_bar, 7), write_offs("write_off_bar", back_bar, 8),
    ])  # fmt: skip

    assert errors == []
    total = lambda name: sum(succeeded[name], Decimal(0))  # noqa: E731
    assert level_of(item, main) == 20 - total("main_to_bar") + total("bar_to_main") - total("write_off_main")
    assert level_of(item, back_bar) == 20 + total("main_to_bar") - total("bar_to_main") - total("write_off_bar")
    # Write-offs took 2 × 40 × 0.85 units on average from 20 on each side: stock ran out, and they were refused.
    assert refused["write_off_main"] + refused["write_off_bar"] > 0
    assert level_of(item, main) >= 0 and level_of(item, back_bar) >= 0
    assert levels_after_outgoing and min(levels_after_outgoing) >= 0
    assert ledger.find_ledger_mismatches(organization=organization) == []
    # Every refused attempt left nothing behind: movements are exactly the successes (+ two openings).
    transfers_done = len(succeeded["main_to_bar"]) + len(succeeded["bar_to_main"])
    write_offs_done = len(succeeded["write_off_main"]) + len(succeeded["write_off_bar"])
    assert StockMovement.objects.filter(item=item).count() == 2 + 2 * transfers_done + write_offs_done



# --- counts under concurrency -------------------------------------------------------------------


def test_two_people_finishing_the_same_count_at_once_adjust_it_once(stock):
    from items.services import counts

    tenant, item, _, back_bar = stock
    organization = tenant.organization
    ledger.record_movement(organization=organization, item=item, storage_area=back_bar, quantity=5,
                           kind=StockMovement.Kind.OPENING)  # fmt: skip
    count = counts.start_count(actor=tenant.staff, organization=organization, storage_area=back_bar)
    counts.set_count_line(actor=tenant.staff, organization=organization, count=count, item=item, full_units=3,
                          tenths=4)  # fmt: skip
    finished, refused = [], []

    def finisher(user):
        def work():
            try:
                counts.finish_count(actor=user, organization=organization, count=count)
            except counts.CountNotOpen:
                refused.append(user)
            else:
                finished.append(user)
        return work

    errors = run_in_threads(organization, [finisher(tenant.staff), finisher(tenant.manager), finisher(tenant.admin)])

    assert errors == []
    assert len(finished) == 1 and len(refused) == 2
    assert StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).count() == 1
    assert level_of(item, back_bar) == Decimal("3.4")
    assert ledger.find_ledger_mismatches(organization=organization) == []


def test_two_people_starting_a_count_of_one_area_at_once_get_one_count(stock):
    from items.services import counts

    tenant, _, _, back_bar = stock
    started, refused = [], []

    def starter(user):
        def work():
            try:
                started.append(counts.start_count(actor=user, organization=tenant.organization, storage_area=back_bar))
            except counts.CountError as exc:
                refused.append(str(exc))
        return work

    errors = run_in_threads(tenant.organization, [starter(tenant.staff), starter(tenant.manager),
                                                  starter(tenant.admin)])  # fmt: skip

    assert errors == []
    assert len(started) == 1 and len(refused) == 2
    assert all(message.startswith("A count of Back bar is already in progress") for message in refused)


def test_a_count_finished_while_sales_go_on_adjusts_against_the_level_it_locked(stock):
    """The adjustment is counted − the level at the moment of the finish, never a stale read:
    whatever the interleaving, level = counted + the sales recorded after the finish."""
    from items.services import counts

    tenant, item, _, back_bar = stock
    organization = tenant.organization
    ledger.record_movement(organization=organization, item=item, storage_area=back_bar, quantity=50,
                           kind=StockMovement.Kind.OPENING)  # fmt: skip
    count = counts.start_count(actor=tenant.staff, organization=organization, storage_area=back_bar)
    counts.set_count_line(actor=tenant.staff, organization=organization, count=count, item=item, full_units=40,
                          tenths=0)  # fmt: skip

    def sales():
        for _ in range(30):
            ledger.record_movement(organization=organization, item=item, storage_area=back_bar,
                                   quantity=Decimal("-0.5"), kind=StockMovement.Kind.SALE)  # fmt: skip

    def finish():
        counts.finish_count(actor=tenant.staff, organization=organization, count=count)

    errors = run_in_threads(organization, [sales, sales, finish])

    assert errors == []
    adjustment = StockMovement.objects.get(kind=StockMovement.Kind.COUNT)
    line = count.lines.get()
    assert line.expected_quantity + line.adjustment == 40
    assert adjustment.quantity == line.adjustment
    # 30 units sold in all; the finish saw 50 - expected of them, so 30 - that came after it.
    sold_after_the_finish = 30 - (50 - line.expected_quantity)
    assert level_of(item, back_bar) == 40 - sold_after_the_finish
    assert ledger.find_ledger_mismatches(organization=organization) == []
