"""The application form behind an offer's "Invest" button. (Being built.)"""

from django.http import Http404
from django.urls import path

app_name = "invest"


def _not_yet(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("<int:offer_id>/", _not_yet, name="apply"),
]
