"""The Project Management API, mounted at its area's API path (/api/v1/projects/)."""

from rest_framework.routers import SimpleRouter

from apps.projects.api import views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="projects-project")
router.register("milestones", views.MilestoneViewSet, basename="projects-milestone")
router.register("columns", views.ColumnViewSet, basename="projects-column")
router.register("tasks", views.TaskViewSet, basename="projects-task")
router.register("time-logs", views.TimeLogViewSet, basename="projects-time-log")
router.register("comments", views.CommentViewSet, basename="projects-comment")
router.register("templates", views.TemplateViewSet, basename="projects-template")
router.register("checklist-items", views.ChecklistItemViewSet, basename="projects-checklist-item")
router.register("attachments", views.AttachmentViewSet, basename="projects-attachment")
router.register("notifications", views.NotificationViewSet, basename="projects-notification")

#: area → its API routes (apps.core.kit.urls mounts them at the area's API path).
by_area = {"projects": router.urls}
