from django.apps import AppConfig


class IspConfig(AppConfig):
    name = "apps.isp"
    label = "isp"
    verbose_name = "ISP Framework"

    def ready(self):
        from apps.core.registry import registry
        from apps.isp import demo
        from apps.isp.services import customers, setup

        registry.register_tenant_initialiser("isp.defaults", setup.isp_defaults_ensure, order=20)
        registry.register_demo_seeder("isp.demo", demo.isp_demo_ensure, order=40)
        registry.register_usage_counter("isp.max_customers", customers.customers_counted)
        from apps.isp.parties import IspCustomers

        registry.party_directories["isp"] = IspCustomers()
