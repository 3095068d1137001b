use sea_orm::entity::prelude::*;

/// One anonymous feedback form about a date. Nothing links it to a booking or a person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub date_id: i32,
    /// `online`, `qr`, `kiosk` or `paper`.
    pub channel: String,
    /// 1 (poor) to 5 (very good).
    pub rating: i16,
    pub helped: Option<String>,
    pub missing: Option<String>,
    pub topics_wanted: Option<String>,
    pub free_text: Option<String>,
    pub before_information: Option<i16>,
    pub before_communication: Option<i16>,
    pub before_content: Option<i16>,
    pub before_safety: Option<i16>,
    pub before_problem_solving: Option<i16>,
    pub after_information: Option<i16>,
    pub after_communication: Option<i16>,
    pub after_content: Option<i16>,
    pub after_safety: Option<i16>,
    pub after_problem_solving: Option<i16>,
    pub submitted_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
