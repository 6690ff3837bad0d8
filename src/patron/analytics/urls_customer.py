from django.urls import path

from patron.analytics import views_customer

app_name = "customer_value"

urlpatterns = [
    path("customers/<int:customer_id>/value/", views_customer.value_page, name="page"),
    path("customers/<int:customer_id>/value/card/", views_customer.value_card, name="card"),
]
