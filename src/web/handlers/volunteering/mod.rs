//! FSJ-Digital volunteering, one module per use case: coordinators plan sessions (`planning`), the
//! session page serves them and the volunteers signed up for it (`session`), coordinators approve
//! hours (`hours`), and volunteers have their own pages (`volunteers`).
use crate::{
    domain::{FieldErrors, account::CurrentUser},
    policy,
    services::volunteering::VolunteeringError,
    web::{errors::WebError, page::Page},
};

pub mod hours;
pub mod planning;
pub mod session;
pub mod volunteers;

impl From<VolunteeringError> for WebError {
    fn from(e: VolunteeringError) -> Self {
        match e {
            VolunteeringError::NotFound => WebError::NotFound,
            VolunteeringError::NoLongerVolunteer => WebError::Forbidden,
            VolunteeringError::Db(e) => WebError::Database(e),
            other => WebError::Internal(other.into()),
        }
    }
}

fn coordinator(page: &Page) -> Result<(CurrentUser, Option<Vec<i32>>), WebError> {
    let user = page.require(policy::can_coordinate_volunteers)?;
    let scope = policy::managed_organisations(&user);
    Ok((user, scope))
}

/// A refusal as a message next to a field (or, for a refusal of the whole action, next to `whole`).
fn field_errors(e: VolunteeringError, whole: &'static str) -> Result<FieldErrors, WebError> {
    match e {
        VolunteeringError::Field { field, message } => Ok(FieldErrors::single(field, message)),
        VolunteeringError::Refused(message) => Ok(FieldErrors::single(whole, message)),
        other => Err(other.into()),
    }
}
