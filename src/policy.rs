//! Every permission decision in one place. Handlers and templates ask these functions; nothing else
//! compares roles. `None` is an anonymous visitor.
use serde::Serialize;

use crate::domain::{Role, account::CurrentUser, proposal::ProposalStatus};

pub fn can_use_account(user: Option<&CurrentUser>) -> bool {
    user.is_some()
}

pub fn can_manage_users(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Admin))
}

pub fn can_view_audit_log(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Admin))
}

/// Sending refused mail again to the same address: admins, who see the mail server's replies.
pub fn can_resend_mail(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Admin))
}

/// The anonymised export for the ministry (TMDI), in the browser as with an admin's API token.
pub fn can_export(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Admin))
}

pub fn can_view_barrier_reports(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Admin))
}

/// Kiosk terminals in Probierläden: register, revoke, see their usage.
pub fn can_manage_terminals(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Admin))
}

/// The back-office start page: anyone with a staff-like role.
pub fn can_open_back_office(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| {
        u.grants.iter().any(|g| {
            matches!(
                g.role,
                Role::Admin
                    | Role::ProviderStaff
                    | Role::MunicipalityEditor
                    | Role::Moderator
                    | Role::Volunteer
            )
        })
    })
}

/// Provider staff manage the courses, municipality editors the dialogue events of their organisations;
/// admins those of every organisation.
pub fn can_manage_offers(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| {
        u.has_role(Role::Admin)
            || u.has_role(Role::ProviderStaff)
            || u.has_role(Role::MunicipalityEditor)
    })
}

/// Which organisations' offers a user manages: `None` means all of them.
pub fn managed_organisations(user: &CurrentUser) -> Option<Vec<i32>> {
    if user.has_role(Role::Admin) {
        return None;
    }
    Some(
        user.grants
            .iter()
            .filter(|g| matches!(g.role, Role::ProviderStaff | Role::MunicipalityEditor))
            .filter_map(|g| g.organisation_id)
            .collect(),
    )
}

pub fn manages_organisation(user: &CurrentUser, organisation_id: i32) -> bool {
    in_scope(&managed_organisations(user), organisation_id)
}

/// Whether an organisation lies within a scope from [`managed_organisations`] (`None`: all of them).
pub fn in_scope(scope: &Option<Vec<i32>>, organisation_id: i32) -> bool {
    scope
        .as_ref()
        .is_none_or(|ids| ids.contains(&organisation_id))
}

/// Whose proposals a person may moderate or answer. Moderators act for their districts, municipality
/// editors answer for the districts of their organisations (resolved by the proposals service),
/// admins act everywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProposalRights {
    pub everywhere: bool,
    /// Districts where the person moderates (publish, reject, merge, hide) and answers.
    pub moderated_districts: Vec<String>,
    /// Organisations for whose districts the person writes official answers.
    pub answering_organisations: Vec<i32>,
}

impl ProposalRights {
    /// Moderates proposals of this district.
    pub fn moderates(&self, district_key: &str) -> bool {
        self.everywhere || self.moderated_districts.iter().any(|d| d == district_key)
    }
    pub fn moderates_any(&self) -> bool {
        self.everywhere || !self.moderated_districts.is_empty()
    }
    pub fn answers_any(&self) -> bool {
        self.moderates_any() || !self.answering_organisations.is_empty()
    }
    /// Whether the person may open a proposal's back-office file (its contact, moderation note and
    /// history): a moderator of its district any proposal; an editor who answers there only the
    /// proposals the public sees, which are the ones they answer.
    pub fn may_open_file(
        &self,
        district_key: &str,
        status: ProposalStatus,
        answers_there: bool,
    ) -> bool {
        self.moderates(district_key) || (answers_there && status.is_public())
    }
}

pub fn proposal_rights(user: Option<&CurrentUser>) -> ProposalRights {
    let Some(user) = user else {
        return ProposalRights::default();
    };
    ProposalRights {
        everywhere: user.has_role(Role::Admin),
        moderated_districts: user
            .grants
            .iter()
            .filter(|g| g.role == Role::Moderator)
            .filter_map(|g| g.district_key.clone())
            .collect(),
        answering_organisations: user
            .grants
            .iter()
            .filter(|g| g.role == Role::MunicipalityEditor)
            .filter_map(|g| g.organisation_id)
            .collect(),
    }
}

pub fn can_answer_proposals(user: Option<&CurrentUser>) -> bool {
    proposal_rights(user).answers_any()
}

/// Staff type in proposals from paper cards or phone calls ("with assistance").
pub fn can_enter_assisted_proposals(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| {
        u.grants.iter().any(|g| {
            matches!(
                g.role,
                Role::Admin | Role::ProviderStaff | Role::MunicipalityEditor | Role::Moderator
            )
        })
    })
}

/// The impact dashboard: admins for all of Thuringia, municipality editors for their own districts.
pub fn can_view_impact(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Admin) || u.has_role(Role::MunicipalityEditor))
}

/// Coordinators plan volunteer sessions for their organisations: provider staff and municipality
/// editors (scoped by `managed_organisations`), admins everywhere.
pub fn can_coordinate_volunteers(user: Option<&CurrentUser>) -> bool {
    can_manage_offers(user)
}

/// FSJ-Digital volunteers sign up for sessions and log their hours.
pub fn can_volunteer(user: Option<&CurrentUser>) -> bool {
    user.is_some_and(|u| u.has_role(Role::Volunteer))
}

/// A session's page: its coordinators and the volunteers helping there (checked per session).
pub fn can_open_sessions(user: Option<&CurrentUser>) -> bool {
    can_coordinate_volunteers(user) || can_volunteer(user)
}

/// What templates may show, computed once per page from the same functions.
#[derive(Debug, Serialize)]
pub struct Permissions {
    pub account: bool,
    pub back_office: bool,
    pub manage_users: bool,
    pub audit_log: bool,
    pub export: bool,
    pub barrier_reports: bool,
    pub manage_offers: bool,
    pub answer_proposals: bool,
    pub enter_proposals: bool,
    pub view_impact: bool,
    pub manage_terminals: bool,
    pub coordinate_volunteers: bool,
    pub volunteer: bool,
}

impl Permissions {
    pub fn for_user(user: Option<&CurrentUser>) -> Self {
        Self {
            account: can_use_account(user),
            back_office: can_open_back_office(user),
            manage_users: can_manage_users(user),
            audit_log: can_view_audit_log(user),
            export: can_export(user),
            barrier_reports: can_view_barrier_reports(user),
            manage_offers: can_manage_offers(user),
            answer_proposals: can_answer_proposals(user),
            enter_proposals: can_enter_assisted_proposals(user),
            view_impact: can_view_impact(user),
            manage_terminals: can_manage_terminals(user),
            coordinate_volunteers: can_coordinate_volunteers(user),
            volunteer: can_volunteer(user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::RoleGrant;

    fn user(roles: &[Role]) -> CurrentUser {
        CurrentUser {
            id: 1,
            email: "a@example.de".into(),
            display_name: "A".into(),
            grants: roles
                .iter()
                .map(|r| RoleGrant {
                    role: *r,
                    organisation_id: None,
                    district_key: None,
                })
                .collect(),
        }
    }

    #[test]
    fn moderators_moderate_their_districts_and_admins_every_district() {
        let mut moderator = user(&[Role::Moderator]);
        moderator.grants[0].district_key = Some("16055".into());
        let rights = proposal_rights(Some(&moderator));
        assert!(rights.moderates("16055"));
        assert!(!rights.moderates("16051"));
        assert!(proposal_rights(Some(&user(&[Role::Admin]))).moderates("16051"));
        assert!(!proposal_rights(Some(&user(&[Role::MunicipalityEditor]))).moderates("16055"));
        assert!(!proposal_rights(None).moderates("16055"));
    }

    #[test]
    fn editors_open_only_public_proposals_and_moderators_any_of_their_district() {
        let mut moderator = user(&[Role::Moderator]);
        moderator.grants[0].district_key = Some("16068".into());
        let moderator = proposal_rights(Some(&moderator));
        let editor = proposal_rights(Some(&user(&[Role::MunicipalityEditor])));
        for hidden in [
            ProposalStatus::Submitted,
            ProposalStatus::Hidden,
            ProposalStatus::Rejected,
        ] {
            assert!(moderator.may_open_file("16068", hidden, true));
            assert!(!editor.may_open_file("16068", hidden, true), "{hidden:?}");
        }
        assert!(editor.may_open_file("16068", ProposalStatus::Published, true));
        assert!(!editor.may_open_file("16068", ProposalStatus::Published, false));
        assert!(!moderator.may_open_file("16051", ProposalStatus::Published, false));
    }

    #[test]
    fn only_admins_manage_users() {
        assert!(!can_manage_users(None));
        assert!(!can_manage_users(Some(&user(&[
            Role::Citizen,
            Role::Moderator
        ]))));
        assert!(can_manage_users(Some(&user(&[Role::Citizen, Role::Admin]))));
    }

    #[test]
    fn citizens_have_an_account_but_no_back_office() {
        let citizen = user(&[Role::Citizen]);
        assert!(can_use_account(Some(&citizen)));
        assert!(!can_open_back_office(Some(&citizen)));
        assert!(can_open_back_office(Some(&user(&[Role::Volunteer]))));
    }
}
