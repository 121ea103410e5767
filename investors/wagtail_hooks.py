"""Registers each feature's admin (its viewsets, pages and menu items); defines nothing."""

from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from capital.admin_scoping import ReadOnlyPermissionPolicy
from investors.applications import admin as applications
from investors.documents import admin as documents
from investors.estates import admin as estates
from investors.nominations import admin as nominations
from investors.payments import admin as payments
from investors.redemptions import admin as redemptions
from investors.runs import admin as runs
from investors.surplus import admin as surplus
from investors.todo.panel import add_todo_panel
from investors.transfers import admin as transfers
from investors.withdrawals import admin as withdrawals


class InvestorsGroup(ViewSetGroup):
    menu_label = "Investors"
    menu_icon = "user"
    menu_order = 220
    # Stripe's events last: they are platform staff's, not a board's.
    items = (
        *applications.VIEWSETS,
        *payments.VIEWSETS,
        *runs.VIEWSETS,
        *surplus.VIEWSETS,
        *withdrawals.VIEWSETS,
        *transfers.VIEWSETS,
        *redemptions.VIEWSETS,
        *nominations.VIEWSETS,
        *estates.VIEWSETS,
        *payments.STAFF_VIEWSETS,
    )


hooks.register("register_admin_viewset", InvestorsGroup)
for feature in (
    applications,
    payments,
    runs,
    surplus,
    transfers,
    redemptions,
    nominations,
    estates,
    withdrawals,
):
    for model in feature.READ_ONLY_MODELS:
        register_permission_policy(model, ReadOnlyPermissionPolicy(model))
for feature in (payments, runs, documents):
    hooks.register("register_admin_urls", feature.admin_urls)
    hooks.register("register_admin_menu_item", feature.menu_item)
for feature in (surplus, redemptions, nominations):
    hooks.register("register_admin_urls", feature.admin_urls)
for menu_item in surplus.MENU_ITEMS:
    hooks.register("register_admin_menu_item", menu_item)

hooks.register("construct_homepage_panels", add_todo_panel)
