"""The services one process needs, built once from settings (server worker or job worker)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import redis.asyncio as aioredis

from app.agency.outbox_webhook import AGENCY_WEBHOOK, agency_webhook_handler
from app.agency.signing import AgencyGate
from app.agency.webhooks import DEFAULT_TIMEOUT_SECONDS as WEBHOOK_TIMEOUT_SECONDS
from app.appointments.service import Appointments, build_appointments
from app.billing.ordering import Ordering
from app.billing.payables import PayableRegistry, PayableSource
from app.bundles.rating import BundleRatings
from app.bundles.service import Bundles
from app.cases.materials import MaterialStore, legacy_key
from app.cases.models import CaseForm
from app.cases.notices import CaseNotices
from app.cases.service import CASE_FINISHED, CASE_NOTICE, Cases
from app.catalog import audit
from app.catalog import items as catalog_items
from app.catalog.service import Catalog
from app.config import Settings
from app.evaluations.invitations import INVITE, InvitationSender
from app.evaluations.service import Evaluations
from app.fees.fee_items import registered_standards
from app.fees.messages import NOTICE_ISSUED, NoticeMessages
from app.fees.notices import NoticePayables, Notices
from app.identity.accounts import Accounts
from app.identity.legal.agents import LegalAgents
from app.identity.legal.registry import LegalRegistry
from app.identity.sessions import SessionStore
from app.identity.signin_throttle import SignInThrottle
from app.interactions.notices import TICKET_REPLY, TicketNotices
from app.interactions.service import Interactions
from app.operators.auth import OperatorAuth
from app.receipts.service import Receipts, build_receipts
from app.runtime import schema
from app.runtime.channel_set import ChannelSet, build_channels
from app.violations.service import Violations, build_violations
from channels.base import Messages
from infra import clock, db, outbox
from infra.jobs import JobQueue, open_queue
from infra.pii import PiiVault
from infra.redis import connect
from payments.models import Order
from payments.notify import Notifications
from payments.orders import NotifyUrls, Orders
from payments.reconcile import Reconciler
from payments.refunds import Refunds
from payments.reviews import RefundReviews
from payments.settle import Settlement

log = logging.getLogger("yiwang.services")

OrderViewHook = Callable[[Order], Awaitable[dict[str, Any]]]


@dataclass
class PublicServices:
    """统一申报 · 统一查询 · 统一评价 · 统一互动, and the material store they share."""

    cases: Cases
    materials: MaterialStore
    evaluations: Evaluations
    interactions: Interactions
    handlers: dict[str, Any]
    # 一件事: bundles file their items as cases and follow them through case.finished.
    bundles: Bundles
    bundle_ratings: BundleRatings


def build_public_services(
    settings: Settings, vault: PiiVault, messages: dict[str, Messages]
) -> PublicServices:
    rules = settings.service_rules
    cases = Cases(vault, rules)
    bundles = Bundles(cases, vault, rules)
    cases.guards.append(bundles.guard)
    return PublicServices(
        cases=cases,
        materials=MaterialStore(vault, legacy_key(settings.pii_key), rules.upload_max_bytes),
        evaluations=Evaluations(rules),
        interactions=Interactions(rules, vault),
        handlers={
            CASE_NOTICE: CaseNotices(messages).send,
            TICKET_REPLY: TicketNotices(messages).send,
            INVITE: InvitationSender(messages).send,
            CASE_FINISHED: bundles.on_case_finished,
        },
        bundles=bundles,
        bundle_ratings=BundleRatings(rules),
    )


@dataclass
class Services:
    settings: Settings
    redis: aioredis.Redis
    jobs: JobQueue
    vault: PiiVault
    channels: ChannelSet
    sessions: SessionStore
    accounts: Accounts
    agency_gate: AgencyGate
    catalog: Catalog
    operators: OperatorAuth
    notices: Notices
    orders: Orders
    settlement: Settlement
    refunds: Refunds
    refund_reviews: RefundReviews
    notifications: Notifications
    reconciler: Reconciler
    payables: dict[str, PayableSource]
    ordering: Ordering
    violations: Violations
    appointments: Appointments
    receipts: Receipts
    # Legal persons: the registry's upsert and the representatives' agents.
    legal_registry: LegalRegistry
    legal_agents: LegalAgents
    # Cases, evaluations, 12345 interactions (build_public_services below).
    public: PublicServices
    # Outbound HTTP the worker does itself (agency webhooks): one client, kept connections.
    outbound: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS)
    )
    # Rooms add fields to GET /orders/{id} (e.g. the receipt number once issued).
    order_view_extensions: list[OrderViewHook] = field(default_factory=list)

    async def kick_outbox(self, event_id: int) -> None:
        """Ask a worker to deliver an event now (the sweep would find it anyway)."""
        await self.jobs.enqueue("deliver_outbox_event", event_id, job_id=f"outbox:{event_id}")

    async def release(self) -> None:
        """Close this process's pools (jobs, Redis, outbound and channel HTTP), leaving the
        database open. Each closes on its own, even when its server is gone."""
        await _close_each(
            self.jobs.pool.aclose, self.redis.aclose, self.outbound.aclose, self.channels.aclose
        )

    async def close(self) -> None:
        await self.release()
        await _close_each(db.close_database)


async def _close_each(*closers: Callable[[], Awaitable[object]]) -> None:
    """A close that fails (its server is down) is logged; the others still run."""
    for close in closers:
        try:
            await close()
        except Exception as exc:
            log.warning("closing %s failed: %s", close.__qualname__, exc)


async def case_form_materials(item_code: str) -> list[dict[str, Any]] | None:
    """The materials an item's case form asks for: the catalog checks its guide against
    them, and cannot import the cases room (which imports the catalog)."""
    form = await CaseForm.get_or_none(item_code=item_code)
    return list(form.materials_spec) if form is not None else None


async def open_services(settings: Settings) -> Services:
    """Open the database for this process, then build the services on it."""
    await db.open_database(schema.config(settings.database_url))
    return await build_services(settings)


async def build_services(settings: Settings) -> Services:
    """The services over an already-open database (tests share the test process's ORM)."""
    if settings.clock_start is not None:
        clock.start_at(settings.clock_start, real=settings.clock_real)
    redis = connect(settings.redis_url)
    vault = settings.vault()
    audit.use_chain_key(settings.crypto_suite.audit_mac_key)
    catalog_items.use_registered_fees(registered_standards)
    channels = build_channels(settings)
    sessions = SessionStore(redis, timedelta(seconds=settings.session_ttl_seconds))
    pay = channels.pay
    notify_urls = NotifyUrls.under(
        settings.public_base_url, wechat_api=settings.channels.wechat_pay_api
    )
    settlement = Settlement(pay)
    refunds = Refunds(pay, {ch: notify_urls.refund(ch) for ch in pay})
    orders = Orders(
        vault,
        pay,
        notify_urls,
        timedelta(minutes=settings.order_ttl_minutes),
        # The H5 shell's order page: it waits for the result after the cashier.
        return_page=f"{settings.public_base_url}/h5/#/order/{{order_no}}",
    )
    violations = build_violations(settings, redis, vault, channels.messages)
    payables: dict[str, PayableSource] = {"notice": NoticePayables(vault)}
    payables["violation"] = violations.payables
    appointments = build_appointments(settings.appointments, redis, vault, channels.messages)
    payables["appointment"] = appointments.payable
    services = Services(
        settings=settings,
        redis=redis,
        jobs=JobQueue(await open_queue(settings.redis_url)),
        vault=vault,
        channels=channels,
        sessions=sessions,
        accounts=Accounts(vault, sessions, channels.logins, channels.face),
        agency_gate=AgencyGate(vault, redis),
        catalog=Catalog(redis, form_materials=case_form_materials),
        operators=OperatorAuth(
            redis,
            timedelta(seconds=settings.operator_session_ttl_seconds),
            SignInThrottle(
                redis,
                settings.abuse.signin_free_failures,
                settings.abuse.signin_max_delay_seconds,
                settings.abuse.signin_alert_failures,
                on_alert=audit.signin_alert,
            ),
        ),
        notices=Notices(vault),
        orders=orders,
        settlement=settlement,
        refunds=refunds,
        refund_reviews=RefundReviews(refunds),
        notifications=Notifications(
            pay, settlement, refunds, channels.notify_dialects, channels.replay_guards
        ),
        reconciler=Reconciler(pay, settlement, refunds),
        payables=payables,
        ordering=Ordering(PayableRegistry(payables), orders),
        violations=violations,
        appointments=appointments,
        receipts=build_receipts(vault, settings, redis),
        legal_registry=LegalRegistry(vault),
        legal_agents=LegalAgents(vault),
        public=build_public_services(settings, vault, channels.messages),
    )
    appointments.connect(services.jobs, services.refunds)
    services.order_view_extensions.append(services.receipts.order_view_extension)
    register_outbox_handlers(services)
    return services


def register_outbox_handlers(services: Services) -> None:
    """Each room adds its event kinds here; handlers must be idempotent."""
    outbox.register_handler(
        AGENCY_WEBHOOK, agency_webhook_handler(services.vault, services.outbound)
    )
    outbox.register_handler("order.paid", services.ordering.on_paid)
    outbox.register_handler("order.refunded", services.ordering.on_refunded)
    notice_messages = NoticeMessages(services.vault, services.channels.messages)
    outbox.register_handler(NOTICE_ISSUED, notice_messages.send)
    outbox.register_handler("receipt.issue", services.receipts.on_issue)
    outbox.register_handler("receipt.red_letter", services.receipts.on_red_letter)
    for kind, handler in services.violations.notices.handlers().items():
        outbox.register_handler(kind, handler)
    for kind, handler in services.public.handlers.items():
        outbox.register_handler(kind, handler)
