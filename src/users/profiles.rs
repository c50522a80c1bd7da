//! Plain SQL over `legal_addresses` and `user_profiles` (one row each per user, created on
//! first write; a missing row reads as empty, like the original's auto-created rows).

use rusqlite::{Connection, OptionalExtension, params};

use super::model::{LegalAddress, UserProfile};
use crate::db::from_row;

pub fn address(c: &Connection, user_id: i64) -> rusqlite::Result<Option<LegalAddress>> {
    c.prepare_cached(
        "SELECT country, first_name, last_name, street_address_1, street_address_2, city, state, postal_code
         FROM legal_addresses WHERE user_id = ?1",
    )?
    .query_row([user_id], |r| {
        from_row!(
            r,
            LegalAddress {
                country,
                first_name,
                last_name,
                street_address_1,
                street_address_2,
                city,
                state,
                postal_code
            }
        )
    })
    .optional()
}

pub fn save_address(c: &Connection, user_id: i64, a: &LegalAddress) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO legal_addresses (user_id, country, first_name, last_name, street_address_1, street_address_2, city, state, postal_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (user_id) DO UPDATE SET country = ?2, first_name = ?3, last_name = ?4,
           street_address_1 = ?5, street_address_2 = ?6, city = ?7, state = ?8, postal_code = ?9",
        params![
            user_id,
            a.country,
            a.first_name,
            a.last_name,
            a.street_address_1,
            a.street_address_2,
            a.city,
            a.state,
            a.postal_code
        ],
    )?;
    Ok(())
}

/// The profile and whether onboarding was completed.
pub fn profile(c: &Connection, user_id: i64) -> rusqlite::Result<Option<(UserProfile, bool)>> {
    c.prepare_cached(
        "SELECT gender, year_of_birth, addl_field_flag, company, job_title, industry, job_function,
                company_size, years_experience, leadership_level, highest_education, type_is_student,
                type_is_professional, type_is_educator, type_is_other, completed_onboarding
         FROM user_profiles WHERE user_id = ?1",
    )?
    .query_row([user_id], |r| {
        Ok((
            UserProfile {
                gender: r.get(0)?,
                year_of_birth: r.get(1)?,
                addl_field_flag: r.get(2)?,
                company: r.get(3)?,
                job_title: r.get(4)?,
                industry: r.get(5)?,
                job_function: r.get(6)?,
                company_size: r.get(7)?,
                years_experience: r.get(8)?,
                leadership_level: r.get(9)?,
                highest_education: r.get(10)?,
                type_is_student: r.get(11)?,
                type_is_professional: r.get(12)?,
                type_is_educator: r.get(13)?,
                type_is_other: r.get(14)?,
            },
            r.get(15)?,
        ))
    })
    .optional()
}

pub fn save_profile(c: &Connection, user_id: i64, p: &UserProfile) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO user_profiles (user_id, gender, year_of_birth, addl_field_flag, company, job_title,
           industry, job_function, company_size, years_experience, leadership_level, highest_education,
           type_is_student, type_is_professional, type_is_educator, type_is_other)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT (user_id) DO UPDATE SET gender = ?2, year_of_birth = ?3, addl_field_flag = ?4,
           company = ?5, job_title = ?6, industry = ?7, job_function = ?8, company_size = ?9,
           years_experience = ?10, leadership_level = ?11, highest_education = ?12,
           type_is_student = ?13, type_is_professional = ?14, type_is_educator = ?15, type_is_other = ?16",
        params![
            user_id,
            p.gender,
            p.year_of_birth,
            p.addl_field_flag,
            p.company,
            p.job_title,
            p.industry,
            p.job_function,
            p.company_size,
            p.years_experience,
            p.leadership_level,
            p.highest_education,
            p.type_is_student,
            p.type_is_professional,
            p.type_is_educator,
            p.type_is_other
        ],
    )?;
    Ok(())
}

/// Makes sure both rows exist (the original creates them with every user).
pub fn ensure_rows(c: &Connection, user_id: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO legal_addresses (user_id) VALUES (?1)",
        [user_id],
    )?;
    c.execute(
        "INSERT OR IGNORE INTO user_profiles (user_id) VALUES (?1)",
        [user_id],
    )?;
    Ok(())
}

pub fn set_completed_onboarding(c: &Connection, user_id: i64) -> rusqlite::Result<()> {
    ensure_rows(c, user_id)?;
    c.execute(
        "UPDATE user_profiles SET completed_onboarding = 1 WHERE user_id = ?1",
        [user_id],
    )?;
    Ok(())
}
