from django.urls import path

from investors.payments import views

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
    path("<str:reference>/card/", views.card_payment, name="card"),
    path("<str:reference>/card/charge/", views.card_charge, name="card-charge"),
    path("<str:reference>/card/check/", views.card_check, name="card-check"),
]
