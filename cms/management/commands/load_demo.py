"""A realistic demo: a community energy society with members, investors and an open offer."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer, ReturnSchedule, ShareClass, Society, SocietyRole
from capital.schedules import save_return_schedule
from capital.services import appoint_board_member, close_offer, open_offer, save_offer, save_share_class
from capital.signals import demo_loaded
from cms.demo import (
    SOLAR_OFFER_TITLE,
    add_demo_pages,
    add_fairshares,
    add_society_page,
    publish_founding_page,
    publish_solar_page,
)
from investors.applications.allocation import allocate_offer
from investors.applications.services import apply_for_shares
from investors.models import Application
from investors.payments.services import confirm_payment
from shares.models import Holder
from shares.services.exemptions import record_limit_exemption

SLUG = "riverside-energy"
ADMIN = ("admin", "commonshare-admin")
BOARD = [
    ("dina.director", "Dina Okafor", SocietyRole.Role.DIRECTOR),
    ("sam.secretary", "Sam Whitley", SocietyRole.Role.SECRETARY),
    ("tom.treasurer", "Tom Brennan", SocietyRole.Role.TREASURER),
]
BOARD_PASSWORD = "board-demo-2026"
INVESTOR_PASSWORD = "investor-demo-2026"
# name, email, address, date of birth, community shares bought in the founding offer
INVESTORS = [
    ("Alice Moss", "alice@example.org", "4 Weir Terrace, Hebden Bridge HX7 8AB", "1961-04-12", 500),
    ("Bilal Hussain", "bilal@example.org", "17 Canal Street, Todmorden OL14 5AA", "1984-09-30", 2000),
    ("Carys Evans", "carys@example.org", "Flat 2, 9 Market Place, Hebden Bridge HX7 6EU", "1992-01-05", 250),
    ("Dev Patel", "dev@example.org", "31 Birchcliffe Road, Hebden Bridge HX7 8JB", "1975-06-21", 10000),
    ("Erin Walsh", "erin@example.org", "Lower Hollins Farm, Heptonstall HX7 7NA", "1958-11-02", 1000),
]


class Command(BaseCommand):
    help = "Load the demo co-op, its board, investors and offers. Running it again changes nothing."

    def handle(self, *args, **options):
        already_loaded = Society.objects.filter(slug=SLUG).exists()
        if not already_loaded:
            with transaction.atomic():
                self.load()
        with transaction.atomic():
            # The pages and the FairShares classes have their own checks, so a database loaded
            # before they existed gets them.
            society = Society.objects.get(slug=SLUG)
            pages_added = add_demo_pages(society=society, board=BOARD)
            fairshares_added = add_fairshares(society=society)
            # The apps above (governance's meetings) add their part of the demo, if missing.
            others_added = sum(added or 0 for _, added in demo_loaded.send(sender=Command, society=society))
        if not already_loaded:
            self.stdout.write(
                self.style.SUCCESS("Loaded the demo society, its offers, investors and web pages.")
            )
        elif pages_added or fairshares_added or others_added:
            self.stdout.write(
                self.style.SUCCESS(
                    f"The demo was loaded; added {pages_added} web pages"
                    + (" and its worker and customer classes" if fairshares_added else "")
                    + (f" and {others_added} general meeting(s)" if others_added else "")
                    + "."
                )
            )
        else:
            self.stdout.write("The demo is already loaded; nothing changed.")
        self.print_logins()

    def load(self):
        users = get_user_model().objects
        if not users.filter(username=ADMIN[0]).exists():
            users.create_superuser(ADMIN[0], "admin@example.org", ADMIN[1])
        society = Society.objects.create(
            name="Riverside Community Energy Ltd",
            slug=SLUG,
            legal_form=Society.LegalForm.COMMUNITY_BENEFIT,
            registration_number="RS008421",
            registered_office="The Old Mill, Mill Lane, Hebden Bridge HX7 8AA",
            bank_account_name="Riverside Community Energy Ltd",
            bank_sort_code="089299",
            bank_account_number="65471234",
            financial_year_end_month=3,
            financial_year_end_day=31,
        )
        for username, full_name, role in BOARD:
            first, last = full_name.split(" ", 1)
            user = users.create_user(
                username,
                f"{username}@riverside-energy.example",
                BOARD_PASSWORD,
                first_name=first,
                last_name=last,
            )
            appoint_board_member(society=society, user=user, role=role)
        add_society_page(society=society, board=BOARD)

        community = save_share_class(
            share_class=ShareClass(
                society=society,
                name="Community shares",
                kind=ShareClass.Kind.COMMUNITY,
                nominal_value=Money(1, "GBP"),
                withdrawable=True,
                confers_membership=True,
                carries_votes=True,
                can_nominate_directors=True,
                can_remove_directors=True,
                declared_maximum_interest_percent=Decimal("4.00"),
            )
        )
        investor = save_share_class(
            share_class=ShareClass(
                society=society,
                name="Solar investor shares",
                kind=ShareClass.Kind.INVESTOR,
                nominal_value=Money(1, "GBP"),
                transferable=True,
                declared_maximum_interest_percent=Decimal("7.00"),
            )
        )
        # Interest on community shares, within the declared maximum: the year to 31 March 2026 is
        # over, so a new user can start, preview and approve a run at once.
        save_return_schedule(
            schedule=ReturnSchedule(
                share_class=community,
                first_year_end=datetime.date(2026, 3, 31),
                rate_ceiling_percent=Decimal("3.00"),
            )
        )
        ReturnSchedule.objects.create(
            share_class=investor,
            first_year_end=datetime.date(2027, 3, 31),
            pool_percent=Decimal("25.00"),
            grace_years=1,
            rate_ceiling_percent=Decimal("7.00"),
            cap_multiple=Decimal("1.50"),
            term_years=12,
            redeem_at_term_end=True,
        )
        self.run_founding_offer(society, community)
        self.open_solar_offer(investor)

    def run_founding_offer(self, society, community):
        opened = timezone.make_aware(datetime.datetime(2025, 6, 1, 9, 0))
        offer = save_offer(
            offer=Offer(
                share_class=community,
                title="Founding community share offer",
                opens_at=opened,
                closes_at=timezone.make_aware(datetime.datetime(2025, 8, 31, 23, 59)),
                price_per_share=Money(1, "GBP"),
                minimum_target=Money(10000, "GBP"),
                maximum_target=Money(60000, "GBP"),
                minimum_per_investor=Money(100, "GBP"),
                maximum_per_investor=Money(20000, "GBP"),
                policy=Offer.Policy.FIRST_COME,
                reservation_period=datetime.timedelta(days=14),
            )
        )
        publish_founding_page(offer)
        offer = open_offer(offer=offer, now=opened)
        users = get_user_model().objects
        for days, (name, email, address, born, shares) in enumerate(INVESTORS, start=1):
            user = users.create_user(email, email, INVESTOR_PASSWORD, first_name=name.split()[0])
            holder = Holder.objects.create(
                name=name,
                email=email,
                postal_address=address,
                date_of_birth=datetime.date.fromisoformat(born),
                user=user,
            )
            applied = opened + datetime.timedelta(days=days)
            application = apply_for_shares(
                offer=offer,
                holder=holder,
                shares=shares,
                payment_method=Application.PaymentMethod.BANK_TRANSFER,
                now=applied,
            )
            confirm_payment(
                application=application,
                amount=application.amount,
                method=Application.PaymentMethod.BANK_TRANSFER,
                provider_reference=f"DEMO-BANK-{days:03d}",
                received_on=(applied + datetime.timedelta(days=2)).date(),
            )
        holder = Holder.objects.create(
            kind=Holder.Kind.ORGANISATION,
            name="Calder Valley Housing Co-operative Ltd",
            email="treasurer@caldervalley-housing.example",
            postal_address="2 Bridge Gate, Hebden Bridge HX7 8EX",
            organisation_number="RS004417",
            is_registered_society=True,
        )
        record_limit_exemption(
            society=society,
            registration_number="RS004417",
            evidence="Checked on the Mutuals Public Register: a registered co-operative society.",
        )
        application = apply_for_shares(
            offer=offer,
            holder=holder,
            shares=5000,
            payment_method=Application.PaymentMethod.BANK_TRANSFER,
            now=opened + datetime.timedelta(days=20),
        )
        confirm_payment(
            application=application,
            amount=application.amount,
            method=Application.PaymentMethod.BANK_TRANSFER,
            provider_reference="DEMO-BANK-CVHC",
            received_on=datetime.date(2025, 6, 25),
        )
        offer = close_offer(offer=offer)
        allocate_offer(offer=offer, on_date=datetime.date(2025, 9, 15))

    def open_solar_offer(self, investor):
        now = timezone.now()
        offer = save_offer(
            offer=Offer(
                share_class=investor,
                title=SOLAR_OFFER_TITLE,
                opens_at=now - datetime.timedelta(days=3),
                closes_at=now + datetime.timedelta(days=60),
                price_per_share=Money(1, "GBP"),
                minimum_target=Money(50000, "GBP"),
                maximum_target=Money(150000, "GBP"),
                minimum_per_investor=Money(250, "GBP"),
                maximum_per_investor=Money(25000, "GBP"),
                policy=Offer.Policy.FIRST_COME,
                reservation_period=datetime.timedelta(days=7),
            )
        )
        publish_solar_page(offer)
        offer = open_offer(offer=offer)
        alice = Holder.objects.get(email="alice@example.org")
        paid = apply_for_shares(
            offer=offer, holder=alice, shares=2000, payment_method=Application.PaymentMethod.BANK_TRANSFER
        )
        confirm_payment(
            application=paid,
            amount=paid.amount,
            method=Application.PaymentMethod.BANK_TRANSFER,
            provider_reference="DEMO-BANK-SOLAR-001",
        )
        apply_for_shares(
            offer=offer,
            holder=Holder.objects.get(email="dev@example.org"),
            shares=10000,
            payment_method=Application.PaymentMethod.BANK_TRANSFER,
        )

    def print_logins(self):
        site = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        self.stdout.write(f"\nThe site: {site}/  (admin at {site}/admin/)")
        self.stdout.write(
            "Logins (the admin and each board member set up two-factor, with an authenticator app, at "
            "their first visit to the admin):"
        )
        self.stdout.write(f"  platform admin: {ADMIN[0]} / {ADMIN[1]}")
        for username, full_name, role in BOARD:
            self.stdout.write(f"  {role.label.lower()} ({full_name}): {username} / {BOARD_PASSWORD}")
        for name, email, *_ in INVESTORS:
            self.stdout.write(f"  investor ({name}): {email} / {INVESTOR_PASSWORD}")
