"""Factories that build test state through the real models."""

import factory
from factory.django import DjangoModelFactory

from patron.accounts.models import Role, Team, User
from patron.customers.models import Customer
from patron.customers.services import search_terms_refresh

PASSWORD = "correct horse battery staple"


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.AGENT

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.set(extracted)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    kind = Customer.Kind.PERSON
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = "Family"
    display_name = factory.LazyAttribute(lambda o: f"{o.given_name} {o.family_name}".strip())
    lifecycle_stage = Customer.Lifecycle.CUSTOMER

    @factory.post_generation
    def search_terms(self, create, extracted, **kwargs):
        # What the services do on every write: the customer becomes findable.
        if create:
            search_terms_refresh([self.pk])
