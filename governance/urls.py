from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("decisions/<slug:slug>/", views.decision_list, name="decisions"),
    path("decisions/<slug:slug>/<int:number>/", views.decision_detail, name="decision"),
    path("account/meetings/", views.ballots, name="ballots"),
    path("account/meetings/vote/<int:question_id>/", views.cast, name="vote"),
    path("account/meetings/proposals/<int:proposal_id>/second/", views.second_proposal, name="second"),
    path("account/meetings/stand/<int:question_id>/", views.stand_for, name="stand"),
    path("account/meetings/<int:meeting_id>/proxy/", views.appoint, name="appoint-proxy"),
    path(
        "account/meetings/vote/<int:question_id>/for/<int:entry_id>/",
        views.cast_as_proxy,
        name="vote-as-proxy",
    ),
    path("account/meetings/proposals/new/", views.new_proposal, name="propose"),
    path("account/meetings/requisitions/new/", views.new_requisition, name="requisition"),
    path("account/meetings/requisitions/<int:requisition_id>/sign/", views.sign, name="sign"),
]
