"""The API kit's CSV import action (apps.core.kit.csvimport): `POST <resource>/import/` with
`{"csv": "...", "dry_run": false}`, the same on every resource that has one.

    class DeviceViewSet(CsvImportActions, ModelViewSet):
        def csv_import_run(self, *, text, dry_run):
            return imports.device_import(text=text, dry_run=dry_run, actor=self.actor)

It answers the result (`kind`, `rows`, `created`, `ok`, `errors`); a real run with any row
error is 400 VALIDATION_ERROR with one detail per row error (`row 3: ...`), nothing written.
It is a bulk operation (the hourly bulk budget); who may run it is who may use the resource.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.kit.csvimport import ImportResult
from apps.core.throttling import bulk_operation

__all__ = ["CsvImportActions", "ImportInput", "ImportResultSerializer"]


class ImportInput(serializers.Serializer):
    csv = serializers.CharField(trim_whitespace=False)
    dry_run = serializers.BooleanField(default=False)


class ImportResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    ok = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.DictField())


class CsvImportActions:
    """Mixed into a viewset: the `import` action over `csv_import_run`."""

    def csv_import_run(self, *, text: str, dry_run: bool) -> ImportResult:
        """Check (dry run) or import the text; a real run raises its refusal."""
        raise NotImplementedError

    @extend_schema(request=ImportInput, responses=ImportResultSerializer)
    @bulk_operation
    @action(detail=False, methods=["post"], url_path="import")
    def import_csv(self, request):
        """Import CSV text (`{"csv": "...", "dry_run": false}`): all rows or none. A dry run
        answers each row's errors without writing; a real run refuses with VALIDATION_ERROR
        and one detail per row error, having written nothing."""
        data = self.validated(ImportInput)
        result = self.csv_import_run(text=data["csv"], dry_run=data["dry_run"])
        return Response(result.answer())
