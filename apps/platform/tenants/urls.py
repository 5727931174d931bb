"""Self-service signup on the public host."""

app_name = "signup"
urlpatterns: list = []
