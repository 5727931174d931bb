"""ISP business rules, one module per aggregate. Import from the modules themselves
(`from apps.isp.services.customers import customer_create`); views, serializers, admin
actions and tasks all call these functions and hold no rules of their own."""
