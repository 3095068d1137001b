use std::fmt;

/// What a person may do. One person can hold several roles; staff and editors are scoped to an
/// organisation, moderators to a district.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Volunteer,
    ProviderStaff,
    MunicipalityEditor,
    Moderator,
    Admin,
}

/// Which scope a role needs when it is granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleScope {
    None,
    Organisation,
    District,
}

impl Role {
    pub const ALL: [Self; 6] = [
        Self::Citizen,
        Self::Volunteer,
        Self::ProviderStaff,
        Self::MunicipalityEditor,
        Self::Moderator,
        Self::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Volunteer => "volunteer",
            Self::ProviderStaff => "provider_staff",
            Self::MunicipalityEditor => "municipality_editor",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let wanted = raw.trim().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or("error-role-invalid")
    }

    pub fn scope(self) -> RoleScope {
        match self {
            Self::ProviderStaff | Self::MunicipalityEditor => RoleScope::Organisation,
            Self::Moderator => RoleScope::District,
            Self::Citizen | Self::Volunteer | Self::Admin => RoleScope::None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_aliases() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("provider-staff"), Ok(Role::ProviderStaff));
        assert!(Role::parse("superuser").is_err());
    }
}
