from rest_framework import serializers, viewsets

from catalog.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = "__all__"


class ItemViewSet(viewsets.ModelViewSet):
    queryset = Item.objects.select_related("category")
    serializer_class = ItemSerializer
    filterset_fields = ["status", "kind", "category"]
    search_fields = ["name", "email"]
    ordering_fields = ["code", "name", "created_at"]
