"""The to-do panel on the Wagtail admin's home page, one section per society."""

from wagtail.admin.ui.components import Component

from investors.todo.items import todo_for


class TodoPanel(Component):
    name = "society_todo"
    order = 50
    template_name = "investors/admin/todo_panel.html"

    class Media:
        css = {"all": ["css/admin_todo.css"]}  # no inline style: the admin's policy may tighten later

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["societies"] = todo_for(self.user)
        return context


def add_todo_panel(request, panels):
    if request.user.is_authenticated:
        panels.insert(0, TodoPanel(request.user))
