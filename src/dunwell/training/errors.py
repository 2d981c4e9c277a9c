"""Typed rejections of training and certification, with stable codes. Nothing is
changed when one is raised."""

from __future__ import annotations

from dunwell.core.errors import Conflict, InvalidInput


class CurriculumInvalid(InvalidInput):
    code = "curriculum_must_be_valid"


class StaffNotQualified(Conflict):
    """The staff member lacks a valid certificate for the action on the date;
    ``details['subjects']`` names each subject, ``details['statuses']`` why."""

    code = "staff_must_hold_valid_certificates"


class RoleNotAllowed(StaffNotQualified):
    """The staff member's role does not perform the action at all (whatever their
    certificates)."""

    code = "staff_role_must_perform_action"


class SignerIsTrainee(Conflict):
    code = "certificate_must_be_signed_by_someone_else"


class SignerRoleNotAllowed(Conflict):
    code = "certificate_signer_must_be_trainer_or_compliance_officer"


class AssessmentNotPassed(Conflict):
    code = "certificate_must_follow_a_passed_assessment"


class ModulesNotCompleted(Conflict):
    code = "modules_must_be_completed_before_assessment"


class EnrolmentClosed(Conflict):
    code = "enrolment_must_be_open"


__all__ = [
    "AssessmentNotPassed",
    "CurriculumInvalid",
    "EnrolmentClosed",
    "ModulesNotCompleted",
    "RoleNotAllowed",
    "SignerIsTrainee",
    "SignerRoleNotAllowed",
    "StaffNotQualified",
]
