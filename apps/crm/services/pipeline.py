"""The pipeline: the tenant's stages, and opportunities moving through them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.kit import writes
from apps.crm.constants import StageKind
from apps.crm.models import Account, Opportunity, Stage, StageChange
from apps.crm.services.ownership import owned_create
from apps.identity.models import User


@transaction.atomic
def stage_create(*, name: str, position: int | None = None, probability: int = 0,
                 kind: str = StageKind.OPEN, actor=None) -> Stage:  # fmt: skip
    """A new column of the board (default: after the last one, open, 0 % likely)."""
    if position is None:
        last = Stage.objects.aggregate(last=Max("position"))["last"]
        position = 1 if last is None else last + 1
    stage = Stage(name=name, position=position, probability=probability, kind=kind)
    return writes.record_create(stage, actor=actor)


def _user(actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _record_change(opportunity: Opportunity, previous: Stage | None, actor) -> None:
    stage = opportunity.stage
    writes.record_create(
        StageChange(
            opportunity=opportunity, from_stage=previous,
            from_name=previous.name if previous else "", to_stage=stage, to_name=stage.name,
            amount=opportunity.amount, changed_by=_user(actor),
        ),
        actor=actor,
    )  # fmt: skip


@transaction.atomic
def opportunity_create(*, account: Account, name: str, stage: Stage | None = None,
                       actor: User | None = None, owner: User | None = None,
                       **fields) -> Opportunity:  # fmt: skip
    """A new deal, in `stage` (default: the first open one); its history starts there."""
    stage = stage or Stage.objects.filter(kind=StageKind.OPEN).first()
    if stage is None:
        raise ValidationError({"stage": "The pipeline has no stages; add one first."})
    opportunity = Opportunity(account=account, name=name, stage=stage, **fields)
    if stage.is_closed:
        opportunity.closed_at = timezone.now()
    owned_create(opportunity, actor=actor, owner=owner)
    _record_change(opportunity, None, actor)
    return opportunity


@transaction.atomic
def opportunity_move(*, opportunity: Opportunity, stage: Stage, lost_reason: str = "",
                     actor=None) -> Opportunity:  # fmt: skip
    """Move an opportunity to another stage of the pipeline (the board's drag and drop and the
    API's move action): the move is recorded; a won or lost stage closes it, an open one
    reopens it; a lost reason is kept for a lost stage only."""
    opportunity = (
        Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    )
    previous = opportunity.stage
    if previous.pk == stage.pk and not lost_reason:
        return opportunity
    fields = {"stage": stage}
    if stage.kind == StageKind.LOST:
        fields["lost_reason"] = (lost_reason or opportunity.lost_reason).strip()
    else:
        fields["lost_reason"] = ""
    if stage.is_closed and not previous.is_closed:
        fields["closed_at"] = timezone.now()
    elif not stage.is_closed:
        fields["closed_at"] = None
    writes.record_update(opportunity, fields, actor=actor, action="move")
    if previous.pk != stage.pk:
        _record_change(opportunity, previous, actor)
    return opportunity
