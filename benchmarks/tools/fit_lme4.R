# Fit one benchmark model with lme4 and write its timings and estimates as JSON.
# usage: Rscript fit_lme4.R JOB.json OUT.json   (run by benchmarks/run.py)
# lme4 runs as its users get it: lmer with its default REML = TRUE for gaussian models,
# glmer (maximum likelihood, Laplace approximation, binomial family) for bernoulli ones,
# default optimisers and controls. The job's chains, draws, warmup, cores and seed are the
# samplers' settings and do not apply to it. The estimates are written under brms's names
# (b_Intercept, sd_Subject__Days, cor_Subject__Intercept__Days, sigma), so that the report
# can set them beside the other tools' posterior means.
start <- Sys.time()
secs <- function(from, to) as.numeric(difftime(to, from, units = "secs"))
suppressMessages({library(lme4); library(jsonlite)})
imported <- Sys.time()
a <- commandArgs(trailingOnly = TRUE)
job <- fromJSON(a[1])
d <- read.csv(job$data)
for (col in job$factors) d[[col]] <- factor(d[[col]])
loaded <- Sys.time()

# Convergence warnings and the "boundary (singular) fit" message are kept for the record
# rather than printed, as fit_brms.R keeps brms's warnings.
caught <- character()
keep <- function(condition, restart) {
  caught <<- c(caught, trimws(conditionMessage(condition)))
  invokeRestart(restart)
}
form <- as.formula(job$formula)
fit <- withCallingHandlers(
  switch(job$family,
         gaussian = lmer(form, data = d),
         bernoulli = glmer(form, data = d, family = binomial()),
         stop("fit_lme4.R fits gaussian and bernoulli models, not ", job$family)),
  warning = function(w) keep(w, "muffleWarning"),
  message = function(m) keep(m, "muffleMessage"))
fitted <- Sys.time()

brms_term <- function(term) if (term == "(Intercept)") "Intercept" else term
params <- list()
beta <- fixef(fit)
se <- sqrt(diag(as.matrix(vcov(fit))))
for (i in seq_along(beta)) {
  params[[paste0("b_", brms_term(names(beta)[i]))]] <- list(estimate = unname(beta[i]),
                                                           se = unname(se[i]))
}
# One row per standard deviation (var2 missing) and per correlation; the residual's row is
# sigma, which glmer's binomial fits do not have.
vc <- as.data.frame(VarCorr(fit))
for (i in seq_len(nrow(vc))) {
  row <- vc[i, ]
  name <- if (row$grp == "Residual") "sigma"
          else if (is.na(row$var2)) paste0("sd_", row$grp, "__", brms_term(row$var1))
          else paste0("cor_", row$grp, "__", brms_term(row$var1), "__", brms_term(row$var2))
  params[[name]] <- list(estimate = row$sdcor)
}

out <- list(
  timings = list(import_s = secs(start, imported), load_s = secs(imported, loaded),
                 fit_s = secs(loaded, fitted), summary_s = secs(fitted, Sys.time())),
  params = params,
  backend = if (isLMM(fit)) {
    if (isREML(fit)) "lmer (REML)" else "lmer (ML)"
  } else "glmer (ML, Laplace)",
  singular = isSingular(fit),
  warnings = as.list(unique(sub("\\.?\n.*", "", caught)))
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), a[2])
