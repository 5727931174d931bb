"""Page forms. They validate input only; the views hand the cleaned data to the services."""

from django import forms

from apps.identity.models import User
from apps.projects.models import Comment, Project, ProjectMember, Task, TimeLog
from apps.projects.services.tasks import normalise_labels


class LabelsField(forms.CharField):
    """Labels typed as "field, urgent"."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return normalise_labels(value)
        return normalise_labels((value or "").split(","))


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class PageForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3


class ProjectForm(PageForm):
    class Meta:
        model = Project
        fields = ["name", "status", "start_date", "end_date", "budget_hours", "budget_amount",
                  "description"]  # fmt: skip
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}),
                   "end_date": forms.DateInput(attrs={"type": "date"})}  # fmt: skip


def project_people(project: Project):
    return User.objects.filter(project_memberships__project=project, is_active=True).order_by(
        "first_name", "username")  # fmt: skip


class TaskForm(PageForm):
    labels = LabelsField(required=False, help_text="Comma separated.")

    class Meta:
        model = Task
        fields = ["title", "assignee", "priority", "start_date", "due_date", "estimate_hours",
                  "milestone", "parent", "labels", "description"]  # fmt: skip
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}),
                   "due_date": forms.DateInput(attrs={"type": "date"})}  # fmt: skip

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = PersonField(queryset=project_people(project), required=False)
        self.fields["assignee"].widget.attrs["class"] = "input"
        self.fields["milestone"].queryset = project.milestones.all()
        self.fields["parent"].queryset = project.tasks.order_by("title")


class CommentForm(PageForm):
    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": "Comment"}
        help_texts = {"body": "@username mentions a member."}


class TimeLogForm(PageForm):
    class Meta:
        model = TimeLog
        fields = ["work_date", "hours", "billable", "rate", "note"]
        widgets = {"work_date": forms.DateInput(attrs={"type": "date"})}


class MemberForm(forms.Form):
    user = PersonField(queryset=User.objects.none())
    role = forms.ChoiceField(choices=ProjectMember._meta.get_field("role").choices)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people if people is not None else User.objects.none()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")
