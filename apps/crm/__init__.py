"""Catalog app "CRM": accounts, contacts, leads, the pipeline, activities and reports."""
