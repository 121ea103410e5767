"""Each society's board edits its own part of the site, and no other society's.

Page permissions follow the board's seats: directors and secretaries add, edit and publish the
society's page and everything under it (offer pages, news) and upload documents and images to the
society's own collection; treasurers may look through those pages in the page explorer (Wagtail
has no read-only page permission; the nearest is "lock", which they may use and a director can
undo) and choose the society's documents. Two Wagtail groups per society hold this, rebuilt from
the seats whenever a seat is given or taken and whenever the society's page is made.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from capital.decisions import Kind
from capital.models import Society, SocietyRole
from cms.models import SocietyPage

EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
VIEWER_PAGE_PERMISSIONS = ("lock_page",)
EDITOR_COLLECTION_PERMISSIONS = (
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
)
VIEWER_COLLECTION_PERMISSIONS = (("wagtaildocs", "choose_document"), ("wagtailimages", "choose_image"))
EDITING_ROLES = {SocietyRole.Role.DIRECTOR, SocietyRole.Role.SECRETARY}


def editors_group_name(society: Society) -> str:
    return f"{society.slug}: page editors"


def viewers_group_name(society: Society) -> str:
    return f"{society.slug}: page viewers"


def society_collection(society: Society) -> Collection:
    """The society's own collection of documents and images (made the first time it is needed)."""
    name = f"{society.name} ({society.slug})"
    root = Collection.get_first_root_node()
    found = root.get_children().filter(name=name).first()
    return found or root.add_child(name=name)


def sync_board_pages(society: Society) -> None:
    """Give the society's page editors and viewers exactly the seats' people, and the groups
    exactly their permissions on the society's page and collection. Nothing until it has a page."""
    page = SocietyPage.objects.filter(society=society).first()
    if page is None:
        return
    with transaction.atomic():
        collection = society_collection(society)
        seats = SocietyRole.objects.filter(society=society)
        editors = {seat.user_id for seat in seats if seat.role in EDITING_ROLES}
        viewers = {seat.user_id for seat in seats} - editors
        _group(
            editors_group_name(society),
            page=page,
            page_permissions=EDITOR_PAGE_PERMISSIONS,
            collection=collection,
            collection_permissions=EDITOR_COLLECTION_PERMISSIONS,
        ).user_set.set(editors)
        _group(
            viewers_group_name(society),
            page=page,
            page_permissions=VIEWER_PAGE_PERMISSIONS,
            collection=collection,
            collection_permissions=VIEWER_COLLECTION_PERMISSIONS,
        ).user_set.set(viewers)


def _group(name, *, page, page_permissions, collection, collection_permissions) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    wanted = list(
        Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=page_permissions)
    )
    GroupPagePermission.objects.filter(group=group).exclude(page=page, permission__in=wanted).delete()
    for permission in wanted:
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)
    wanted_collection = [
        permission
        for permission in Permission.objects.filter(
            codename__in=[codename for _, codename in collection_permissions]
        ).select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in collection_permissions
    ]
    GroupCollectionPermission.objects.filter(group=group).exclude(
        collection=collection, permission__in=wanted_collection
    ).delete()
    for permission in wanted_collection:
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=permission
        )
    return group


def board_changed(sender, decision, **kwargs) -> None:
    """`decision_taken` receiver: a seat given or taken changes who edits the society's pages."""
    if decision.kind in (Kind.BOARD_APPOINTED, Kind.BOARD_REMOVED):
        sync_board_pages(decision.society)


def sync_every_board(**kwargs) -> None:
    """After migrating: every society with a page gets its groups (a new permission reaches them)."""
    for page in SocietyPage.objects.select_related("society"):
        sync_board_pages(page.society)
