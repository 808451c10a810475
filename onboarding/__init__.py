"""Onboarding: the customer read-only stack, quick-create links and STS role checks."""
