"""Pages of Project Management, mounted at its area's prefix (/projects/) as namespace
"projects"."""

from django.urls import path

from apps.projects import links_views, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("new/", views.ProjectFormView.as_view(), name="create"),
    path("my-tasks/", views.MyTasksView.as_view(), name="my-tasks"),
    path("templates/", views.TemplatesView.as_view(), name="templates"),
    path("tasks/", views.TaskListView.as_view(), name="tasks"),
    path("notifications/", views.NotificationsView.as_view(), name="notifications"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notifications-read"),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path("<int:pk>/report/", views.ReportView.as_view(), name="report"),
    path("<int:pk>/", views.ProjectView.as_view(), name="project"),
    path("<int:pk>/edit/", views.ProjectFormView.as_view(), name="edit"),
    path("<int:pk>/board/", views.BoardView.as_view(), name="board"),
    path("<int:pk>/timeline/", views.TimelineView.as_view(), name="timeline"),
    path("<int:pk>/members/", views.MemberView.as_view(), name="members"),
    path("<int:pk>/from-template/", views.FromTemplateView.as_view(), name="from-template"),
    path("<int:pk>/service-link/", links_views.ServiceLinkView.as_view(), name="service-link"),
    path("<int:pk>/invoice-time/", links_views.InvoiceTimeView.as_view(), name="invoice-time"),
    path(
        "<int:pk>/billable-time.csv",
        links_views.BillableTimeExportView.as_view(),
        name="billable-time",
    ),
    path("<int:pk>/tasks/new/", views.TaskFormView.as_view(), name="task-create"),
    path("tasks/<int:pk>/", views.TaskView.as_view(), name="task"),
    path("tasks/<int:task>/edit/", views.TaskFormView.as_view(), name="task-edit"),
    path("tasks/<int:pk>/move/", views.MoveView.as_view(), name="move"),
    path("tasks/<int:pk>/comments/", views.CommentView.as_view(), name="comment"),
    path("tasks/<int:pk>/time/", views.TimeLogView.as_view(), name="time"),
    path("tasks/<int:pk>/checklist/", views.ChecklistView.as_view(), name="checklist"),
    path("tasks/<int:pk>/files/", views.AttachmentUploadView.as_view(), name="attach"),
    path(
        "tasks/<int:pk>/files/<int:file>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment",
    ),
    path(
        "tasks/<int:pk>/files/<int:file>/delete/",
        views.AttachmentDeleteView.as_view(),
        name="attachment-delete",
    ),
]

#: area → its pages (apps.core.kit.urls mounts them at the area's prefix).
by_area = {"projects": urlpatterns}
