//! Signed files (manual 2.6).

use super::*;

/// A signed file to record (after signing outside the platform, e.g. with a UKey in the
/// browser; documents signed by [`Platform::sign_document`] are recorded by it).
#[derive(Clone, Debug)]
pub struct FileInput {
    pub name: String,
    pub pages: u32,
    /// Ids of the seals used; each must be one the signer may use.
    pub seals: Vec<String>,
    pub format: FileFormat,
    pub size: u64,
    pub thumbnail: Option<String>,
}

/// The file list's search (2.6: by file name or signer) and page.
#[derive(Clone, Debug, Default)]
pub struct FileQuery {
    /// Fragment of the file name or the signer's name.
    pub text: Option<String>,
    /// Page from 1 ([`PAGE_SIZE`] a page); 0 is the first.
    pub page: usize,
}

impl Platform {
    /// The file record of a signature by `ctx`, checked (name, size, pages, seals).
    pub(super) fn file_record(
        &self,
        ctx: &Ctx,
        f: &FileInput,
        seal_names: Vec<String>,
    ) -> Result<FileRecord> {
        let name = validate::check_text("file name", &f.name, 200)?;
        if f.size == 0 || f.size > MAX_FILE_SIZE {
            return Err(PlatformError::InvalidInput(
                "files are 1 byte to 30 MB".into(),
            ));
        }
        if f.pages == 0 || seal_names.is_empty() {
            return Err(PlatformError::InvalidInput(
                "a signed file has pages and seals".into(),
            ));
        }
        Ok(FileRecord {
            id: new_id()?,
            unit: ctx.unit.clone(),
            name,
            pages: f.pages,
            signer: ctx.id.clone(),
            signer_name: ctx.name.clone(),
            seals: seal_names,
            time: self.clock.now(),
            format: f.format,
            size: f.size,
            thumbnail: f.thumbnail.clone(),
            deleted: false,
        })
    }

    /// Records a file signed outside the platform (2.6): each seal must be one the signer
    /// may use (2.2.3) — a record names only seals that could have signed it.
    pub fn record_file(&self, sess: &Session, f: &FileInput) -> Result<FileRecord> {
        self.record_file_persisted(sess, f, &[], &mut |_| Ok(()))
    }

    /// [`Platform::record_file`] of a file signed in a UKey (2.5.2), with the seal uses of
    /// its signatures (`uses`: a seal id per signature, each a use as
    /// [`Platform::sign_with_seal`] makes with [`SignCredential::Ukey`]) in the same batch,
    /// and the record given to `persist` once before that batch commits (the caller keeps the
    /// signed file first, as with [`Platform::sign_document_persisted`]): uses, record and
    /// audit entry commit together or not at all.
    pub fn record_file_persisted(
        &self,
        sess: &Session,
        f: &FileInput,
        uses: &[String],
        persist: &mut dyn FnMut(&FileRecord) -> Result<()>,
    ) -> Result<FileRecord> {
        let mut made: Option<FileRecord> = None;
        let mut checked = false;
        self.run(sess, Action::SignWithSeal, &f.name, |ctx, tx| {
            if !uses.is_empty() {
                self.require_cert(&ctx.unit)?;
                if !checked {
                    self.check_sign_credential(ctx, &SignCredential::Ukey)?;
                    checked = true;
                }
                for id in uses {
                    let (s, v) = self.usable_seal(ctx, id)?;
                    self.seal_use(tx, &s, v)?;
                }
            }
            let mut names = Vec::new();
            for id in &f.seals {
                let (s, _) = self.usable_seal(ctx, id)?;
                names.push(s.name);
            }
            if made.is_none() {
                let r = self.file_record(ctx, f, names)?;
                persist(&r)?;
                made = Some(r);
            }
            let Some(r) = made.clone() else {
                return Err(state("file record missing"));
            };
            tx.insert(&r)?;
            Ok(r)
        })
    }

    /// Whether file record `id` is committed (maintenance, no session): the server's repair
    /// of a signing cut short asks it to decide between completing and rolling back.
    pub fn committed_file(&self, id: &str) -> Result<Option<FileRecord>> {
        Ok(self.load::<FileRecord>(id)?.map(|(f, _)| f))
    }

    fn may_see_file(ctx: &Ctx, f: &FileRecord) -> bool {
        !f.deleted
            && f.unit == ctx.unit
            && (perm::allowed_any(&ctx.roles, Action::ViewUnitFiles) || f.signer == ctx.id)
    }

    /// The file list (2.6): the unit UKey sees the unit's files, staff their own; search by
    /// name or signer; newest first, one page.
    pub fn list_files(&self, sess: &Session, q: &FileQuery) -> Result<Page<FileRecord>> {
        self.read(sess, Action::ViewOwnFiles, "files", |ctx| {
            let mut fq = Query::new(Kind::File).unit(&ctx.unit).status("active");
            if !perm::allowed_any(&ctx.roles, Action::ViewUnitFiles) {
                fq = fq.owner(&ctx.id);
            }
            fq.text = q.text.clone().filter(|t| !t.is_empty());
            self.page(fq, q.page, PAGE_SIZE)
        })
    }

    /// One file record the actor may see.
    pub fn file(&self, sess: &Session, id: &str) -> Result<FileRecord> {
        self.read(sess, Action::ViewOwnFiles, id, |ctx| {
            match self.load::<FileRecord>(id)? {
                Some((f, _)) if Self::may_see_file(ctx, &f) => Ok(f),
                _ => Err(PlatformError::NotFound(format!("file {id}"))),
            }
        })
    }

    /// Deletes (hides) a file record; it is kept for the audit.
    pub fn delete_file(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::DeleteFile, id, |ctx, tx| {
            let (mut f, v): (FileRecord, u64) = match self.load(id)? {
                Some((f, v)) if Self::may_see_file(ctx, &f) => (f, v),
                _ => return Err(PlatformError::NotFound(format!("file {id}"))),
            };
            f.deleted = true;
            tx.update(&f, v)
        })
    }
}
