from django.urls import path

from patron.commerce import views

app_name = "commerce"
urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("products/", views.product_list, name="products"),
    path("customers/<int:customer_id>/orders/", views.customer_orders, name="customer_orders"),
]
