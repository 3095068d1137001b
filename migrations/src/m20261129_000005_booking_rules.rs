//! Booking rules beyond capacity: minimum participants with a decision date, places held back for
//! walk-ins, reminders, attendance, place offers for waiting entries that need more places than are free,
//! retention of participants' personal data, mail attachments, and tasks for staff.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add(table: impl IntoIden, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for statement in [
            add(
                OfferDates::Table,
                integer(OfferDates::MinParticipants).default(0).take(),
            ),
            add(
                OfferDates::Table,
                timestamp_with_time_zone_null(OfferDates::DecisionAt),
            ),
            add(
                OfferDates::Table,
                timestamp_with_time_zone_null(OfferDates::DecidedAt),
            ),
            add(
                OfferDates::Table,
                integer(OfferDates::WalkInPlaces).default(0).take(),
            ),
            add(
                OfferDates::Table,
                timestamp_with_time_zone_null(OfferDates::WalkInReleaseAt),
            ),
            add(
                OfferDates::Table,
                timestamp_with_time_zone_null(OfferDates::ReminderSentAt),
            ),
            // Raised on every change the provider makes, so calendars replace the old event (iCalendar SEQUENCE).
            add(
                OfferDates::Table,
                integer(OfferDates::Revision).default(0).take(),
            ),
            // A multi-session course is booked as a whole: later sessions point to the first date,
            // which carries capacity and bookings.
            add(OfferDates::Table, integer_null(OfferDates::SeriesLeadId)),
            add(
                Bookings::Table,
                string(Bookings::Language).default("de").take(),
            ),
            // The link secret itself, so later mails (promotion, reminder, changes) carry the same link as
            // the confirmation. Lookups still go through the hash. Cleared with the personal data.
            add(Bookings::Table, string_null(Bookings::ManageToken)),
            add(Bookings::Table, string_null(Bookings::Attendance)),
            add(Bookings::Table, integer_null(Bookings::OfferedPlaces)),
            add(
                Bookings::Table,
                timestamp_with_time_zone_null(Bookings::OfferExpiresAt),
            ),
            add(
                Bookings::Table,
                timestamp_with_time_zone_null(Bookings::AnonymisedAt),
            ),
            // Title and description in Unicode lower case: SQLite's LOWER() folds ASCII only, so
            // "überweisung" would not find "Überweisung" otherwise.
            add(Offers::Table, text(Offers::SearchText).default("").take()),
            add(Outbox::Table, string_null(Outbox::AttachmentName)),
            add(Outbox::Table, string_null(Outbox::AttachmentType)),
            add(Outbox::Table, text_null(Outbox::AttachmentBody)),
        ] {
            manager.alter_table(statement).await?;
        }
        // A course page reads its dates by offer; without this index that scans every date.
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_date_offer")
                    .table(OfferDates::Table)
                    .col(OfferDates::OfferId)
                    .to_owned(),
            )
            .await?;
        // The catalogue counts each date's sessions; without this index that is a scan per row.
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_date_series_lead")
                    .table(OfferDates::Table)
                    .col(OfferDates::SeriesLeadId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffTasks::Table)
                    .col(big_pk_auto(StaffTasks::Id))
                    .col(integer(StaffTasks::OrganisationId))
                    .col(integer_null(StaffTasks::DateId))
                    .col(big_integer_null(StaffTasks::BookingId))
                    .col(string(StaffTasks::Kind))
                    .col(timestamp_with_time_zone(StaffTasks::CreatedAt))
                    .col(timestamp_with_time_zone_null(StaffTasks::DoneAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffTasks::Table, StaffTasks::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffTasks::Table, StaffTasks::DateId)
                            .to(OfferDates::Table, OfferDates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffTasks::Table, StaffTasks::BookingId)
                            .to(Bookings::Table, Bookings::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staff_tasks_open")
                    .table(StaffTasks::Table)
                    .col(StaffTasks::OrganisationId)
                    .col(StaffTasks::DoneAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StaffTasks::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_offer_date_offer")
                    .table(OfferDates::Table)
                    .to_owned(),
            )
            .await?;
        // SQLite cannot drop an indexed column.
        manager
            .drop_index(
                Index::drop()
                    .name("idx_offer_date_series_lead")
                    .table(OfferDates::Table)
                    .to_owned(),
            )
            .await?;
        let columns: [(DynIden, DynIden); 18] = [
            (
                OfferDates::Table.into_iden(),
                OfferDates::SeriesLeadId.into_iden(),
            ),
            (Offers::Table.into_iden(), Offers::SearchText.into_iden()),
            (
                OfferDates::Table.into_iden(),
                OfferDates::MinParticipants.into_iden(),
            ),
            (
                OfferDates::Table.into_iden(),
                OfferDates::DecisionAt.into_iden(),
            ),
            (
                OfferDates::Table.into_iden(),
                OfferDates::DecidedAt.into_iden(),
            ),
            (
                OfferDates::Table.into_iden(),
                OfferDates::WalkInPlaces.into_iden(),
            ),
            (
                OfferDates::Table.into_iden(),
                OfferDates::WalkInReleaseAt.into_iden(),
            ),
            (
                OfferDates::Table.into_iden(),
                OfferDates::ReminderSentAt.into_iden(),
            ),
            (
                OfferDates::Table.into_iden(),
                OfferDates::Revision.into_iden(),
            ),
            (Bookings::Table.into_iden(), Bookings::Language.into_iden()),
            (
                Bookings::Table.into_iden(),
                Bookings::ManageToken.into_iden(),
            ),
            (
                Bookings::Table.into_iden(),
                Bookings::Attendance.into_iden(),
            ),
            (
                Bookings::Table.into_iden(),
                Bookings::OfferedPlaces.into_iden(),
            ),
            (
                Bookings::Table.into_iden(),
                Bookings::OfferExpiresAt.into_iden(),
            ),
            (
                Bookings::Table.into_iden(),
                Bookings::AnonymisedAt.into_iden(),
            ),
            (
                Outbox::Table.into_iden(),
                Outbox::AttachmentName.into_iden(),
            ),
            (
                Outbox::Table.into_iden(),
                Outbox::AttachmentType.into_iden(),
            ),
            (
                Outbox::Table.into_iden(),
                Outbox::AttachmentBody.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Offers {
    Table,
    SearchText,
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    Id,
    OfferId,
    MinParticipants,
    DecisionAt,
    DecidedAt,
    WalkInPlaces,
    WalkInReleaseAt,
    ReminderSentAt,
    Revision,
    SeriesLeadId,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    Id,
    Language,
    ManageToken,
    Attendance,
    OfferedPlaces,
    OfferExpiresAt,
    AnonymisedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    AttachmentName,
    AttachmentType,
    AttachmentBody,
}

#[derive(DeriveIden)]
enum StaffTasks {
    Table,
    Id,
    OrganisationId,
    DateId,
    BookingId,
    Kind,
    CreatedAt,
    DoneAt,
}
