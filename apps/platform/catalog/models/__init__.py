from apps.platform.catalog.models.catalog import App, Plan

__all__ = ["App", "Plan"]
