"""A local, stateful stand-in for the part of Stripe's API this project uses."""
