# Fit one model with brms (default priors, 4 chains x 2000 iterations, seed 1234) and write its
# posterior summary, prior tables and timing as JSON, in the layout of /work/shared/reference/*.json
# (same variable selection as /work/shared/tools/brms_reference.R), plus the data file name, the
# family string as given in R, its link, and brms's default prior table from get_prior().
#
# usage: Rscript make_reference.R DATA.csv|brms:NAME|multiple:PATTERN:M "FORMULA" "FAMILY" OUT.json [factor columns, comma-separated;
#          "dose=none<low<high" an ordered factor of those levels, recorded as `ordered`]
#          [DPARS: distributional formulas for bf(), semicolon-separated, e.g. "hu=~ x";
#           a number holds the parameter at it, e.g. "quantile=0.8"]
#          [NEWDATA.csv: rows whose fitted() values are written too, as `fitted` records]
#          [PRIOR: R code of user priors, e.g. "prior(normal(0, 1), class = b, lb = 0)"]
#   A formula's gr(g, cov = A) reads the matrix A of data2 from cov_A.csv beside DATA.csv,
#   its first column the row names.
#   FAMILY is R code evaluated with brms attached, e.g. "gaussian", "poisson",
#   "bernoulli(link='probit')", "Gamma(link='log')", "Beta()", "negbinomial()".
#   A bare function name (e.g. "poisson") is called with no arguments.
#   "multiple:data/imputed_%d.csv:3" fits brm_multiple() to the M data sets the pattern
#   names (chains per data set), its summary that of the combined draws.
# splines: formulas may call ns() and bs(), as users attach it
suppressMessages({library(brms); library(posterior); library(jsonlite); library(splines)})
a <- commandArgs(trailingOnly = TRUE)
stopifnot(length(a) >= 4)
data_path <- a[1]; f <- a[2]; fam_str <- a[3]; out_path <- a[4]
# "brms:kidney": a dataset shipped with brms, its factors' levels in R's order
if (startsWith(data_path, "brms:")) {
  data(list = sub("brms:", "", data_path), package = "brms", envir = environment())
  d <- get(sub("brms:", "", data_path))
} else if (startsWith(data_path, "R:")) {
  # "R:Orange": a dataset of R's datasets package, as R holds it (ordered factors kept)
  d <- get(sub("R:", "", data_path))
} else if (startsWith(data_path, "multiple:")) {
  parts <- strsplit(data_path, ":", fixed = TRUE)[[1]]
  imputed <- lapply(seq_len(as.integer(parts[3])), function(k) read.csv(sprintf(parts[2], k)))
  d <- imputed[[1]]
} else d <- read.csv(data_path)
imputations <- if (startsWith(data_path, "multiple:")) length(imputed) else NULL
# a factor column written "dose=none<low<high" is an ordered factor of those levels
factor_columns <- if (length(a) >= 5) strsplit(a[5], ",")[[1]] else character(0)
ordered_levels <- list()
for (entry in factor_columns[grepl("=", factor_columns, fixed = TRUE)]) {
  kv <- strsplit(entry, "=", fixed = TRUE)[[1]]
  ordered_levels[[kv[1]]] <- strsplit(kv[2], "<", fixed = TRUE)[[1]]
}
factor_columns <- sub("=.*$", "", factor_columns)
as_factor <- function(values, col) {
  if (is.null(ordered_levels[[col]])) factor(values)
  else factor(values, levels = ordered_levels[[col]], ordered = TRUE)
}
for (col in intersect(factor_columns, names(d))) {
  d[[col]] <- as_factor(d[[col]], col)
  if (!is.null(imputations)) for (k in seq_along(imputed)) imputed[[k]][[col]] <- as_factor(imputed[[k]][[col]], col)
}
fam <- eval(parse(text = fam_str))
if (is.function(fam)) fam <- fam()
dpars <- list()
if (length(a) >= 6 && nzchar(a[6])) for (part in strsplit(a[6], ";")[[1]]) {
  kv <- strsplit(part, "=", fixed = TRUE)[[1]]
  dpars[[trimws(kv[1])]] <- trimws(paste(kv[-1], collapse = "="))
}
# "nl=TRUE" among them makes the formula non-linear, its other entries the non-linear
# parameters' formulas
nl <- identical(dpars[["nl"]], "TRUE")
dpars[["nl"]] <- NULL
# "center=FALSE": bf()'s option, the mean's intercept a b coefficient
center <- if (identical(dpars[["center"]], "FALSE")) FALSE
dpars[["center"]] <- NULL
# a number holds its parameter at that value: bf(y ~ x, quantile = 0.8)
held <- Filter(function(v) !startsWith(v, "~"), dpars)
fixed <- lapply(held, as.numeric)
dpars <- Filter(function(v) startsWith(v, "~"), dpars)
# a matrix response (dirichlet, multinomial) written "cbind(a, b, c) ~ ..." as in
# multilevel: brms takes it as one matrix column of the data, its columns the categories
f_fit <- f
if (grepl("^\\s*cbind\\(", f) && fam$family %in% c("dirichlet", "multinomial")) {
  d$response <- with(d, eval(parse(text = sub("^\\s*(cbind\\([^)]*\\)).*$", "\\1", f))))
  f_fit <- sub("cbind\\([^)]*\\)", "response", f)
}
form <- do.call(bf, c(list(as.formula(f_fit)),
                      lapply(names(dpars), function(k) as.formula(paste(k, dpars[[k]]))),
                      fixed, list(nl = nl), if (isFALSE(center)) list(center = FALSE)))
seed <- 1234; chains <- 4; iter <- 2000
# gr(g, cov = A): data2's A is read from cov_A.csv beside the data, the levels its row names
data2 <- list()
for (name in regmatches(f, gregexpr("cov\\s*=\\s*\\K[A-Za-z.][A-Za-z0-9._]*", f, perl = TRUE))[[1]]) {
  data2[[name]] <- as.matrix(read.csv(file.path(dirname(data_path), paste0("cov_", name, ".csv")),
                                      row.names = 1, check.names = FALSE))
}
if (!length(data2)) data2 <- NULL

gp <- as.data.frame(get_prior(form, data = d, family = fam, data2 = data2))
user_prior <- if (length(a) >= 8 && nzchar(a[8])) eval(parse(text = a[8])) else NULL

# brms 2.18's cumulative and acat densities call inv_cauchit() on a real, which its own Stan
# functions define for vectors only, so that Stan refuses the program (its sratio and cratio
# densities take cauchy_lccdf() instead); the model is fitted from brms's code with the
# real-valued function added, by brms's route for modified code (empty = TRUE, then the
# stanfit, keeping what brm() keeps, and rename_pars())
cauchit_ordinal <- fam$link == "cauchit" && fam$family %in% c("cumulative", "acat")
t0 <- Sys.time()
fit <- if (cauchit_ordinal) {
  code <- make_stancode(form, data = d, family = fam, prior = user_prior)
  code <- gsub("(?<!vector )inv_cauchit\\(", "inv_cauchit_real(", code, perl = TRUE)
  code <- sub("functions {", paste("functions {",
                                   "  real inv_cauchit_real(real y) { return cauchy_cdf(y, 0, 1); }",
                                   sep = "\n"), code, fixed = TRUE)
  empty <- brm(form, data = d, family = fam, prior = user_prior, empty = TRUE)
  empty$fit <- rstan::stan(model_code = code, data = standata(empty), seed = seed, refresh = 0,
                           cores = 2, chains = chains, iter = iter,
                           pars = brms:::exclude_pars(empty), include = FALSE)
  rename_pars(empty)
} else if (is.null(imputations)) {
  brm(form, data = d, family = fam, prior = user_prior, seed = seed, refresh = 0,
      cores = 2, chains = chains, iter = iter, data2 = data2)
} else {
  brm_multiple(form, data = imputed, family = fam, prior = user_prior, seed = seed,
               refresh = 0, cores = 2, chains = chains, iter = iter)
}
total <- as.numeric(difftime(Sys.time(), t0, units = "secs"))

dr <- as_draws_df(fit)
summ <- function(vars) {
  summarise_draws(subset_draws(dr, variable = vars), "mean", "sd",
                  ~quantile(.x, c(0.025, 0.975)), "rhat", "ess_bulk", "ess_tail")
}
# same selection as the shared tool: b_Intercept kept; the centred Intercept and lp__ not
# (the special priors' R2D2_R2, R2D2_phi and lasso_inv_lambda, which brms keeps, and lprior,
# the sum of the priors' log densities, too)
keep <- grep("^(b_|sd_|cor_|sigma[0-9]*$|theta[0-9]+$|kappa$|shape$|nu$|phi$|zi$|hu$|zoi$|coi$|ndt$|alpha$|beta$|quantile$|r_|ar\\[|ma\\[|cosy$|bs_|sds_|s_|bsp_|bcs_|simo_|R2D2_R2$|R2D2_phi_|lasso_inv_lambda$|lprior$)", variables(dr), value = TRUE)
s <- summ(keep)
# brm_multiple(): each data set's own posterior too, its chains in the combined fit's order
by_imputation <- if (is.null(imputations)) NULL else lapply(seq_along(imputed), function(k)
  summarise_draws(subset_draws(dr, variable = keep, chain = (k - 1) * chains + seq_len(chains)),
                  "mean", "sd", ~quantile(.x, c(0.025, 0.975)), "rhat", "ess_bulk", "ess_tail"))
np <- nuts_params(fit)
divergences <- sum(np$Value[np$Parameter == "divergent__"])
max_rhat <- max(s$rhat, na.rm = TRUE)  # a constant (sigma under se()) has none

fitted_records <- NULL
if (length(a) >= 7 && nzchar(a[7])) {
  nd <- read.csv(a[7])
  for (col in intersect(factor_columns, names(d))) nd[[col]] <- factor(nd[[col]], levels = levels(d[[col]]), ordered = is.ordered(d[[col]]))
  ft <- fitted(fit, newdata = nd)
  if (length(dim(ft)) == 3) {  # categories: rows x statistics x categories
    fitted_records <- do.call(rbind, lapply(seq_len(dim(ft)[3]), function(k)
      data.frame(row = seq_len(dim(ft)[1]), category = dimnames(ft)[[3]][k],
                 Estimate = ft[, "Estimate", k], Est.Error = ft[, "Est.Error", k])))
  } else {
    fitted_records <- data.frame(row = seq_len(nrow(ft)), Estimate = ft[, "Estimate"],
                                 Est.Error = ft[, "Est.Error"])
  }
}

# a mixture's pp_mixture(): each component's probability of having produced each fitted row,
# given its response, of the eight rows whose membership is least certain (elsewhere it is 0
# or 1 to more digits than these records keep)
membership_records <- NULL
if (inherits(fit$family, "mixfamily")) {
  pm <- pp_mixture(fit)
  rows <- sort(order(pm[, "Est.Error", 1], decreasing = TRUE)[1:8])
  membership_records <- do.call(rbind, lapply(seq_len(dim(pm)[3]), function(k)
    data.frame(row = rows, category = dimnames(pm)[[3]][k],
               Estimate = pm[rows, "Estimate", k], Est.Error = pm[rows, "Est.Error", k])))
}

# each smooth's posterior_smooths() (its part of the linear predictor) at ten points over its
# variable's range, the grid of conditional_smooths(resolution = 10)
smooth_records <- NULL
smooth_terms <- if (grepl("\\bs\\(", f))
  unique(gsub("[[:space:]]", "", brms:::tidy_smef(brmsterms(fit$formula)$dpars$mu, d)$term))
for (term in smooth_terms) {
  variable <- all.vars(str2lang(term))[1]
  by <- setdiff(all.vars(str2lang(term)), variable)
  grid <- data.frame(seq(min(d[[variable]]), max(d[[variable]]), length.out = 10))
  names(grid) <- variable
  for (other in setdiff(all.vars(fit$formula$formula[[3]]), variable)) grid[[other]] <- d[[other]][1]
  if (length(by)) {
    # over each level of a factor by, or a numeric by's mean and one sd either side
    values <- if (is.numeric(d[[by]])) mean(d[[by]]) + c(-1, 0, 1) * sd(d[[by]])
              else factor(levels(d[[by]]), levels = levels(d[[by]]))
    grid <- grid[rep(seq_len(nrow(grid)), length(values)), , drop = FALSE]
    grid[[by]] <- rep(values, each = 10)
  }
  ps <- posterior_smooths(fit, smooth = term, newdata = grid)
  smooth_records <- rbind(smooth_records, data.frame(
    smooth = term, row = seq_len(ncol(ps)), value = grid[[variable]],
    by = if (length(by)) as.character(grid[[by]]) else NA,
    Estimate = colMeans(ps), Est.Error = apply(ps, 2, sd)))
}

# the sign of each penalised spline column (its entry of largest size), whose choice by
# LAPACK is arbitrary: a comparison of s_ coefficients needs it
spline_signs <- NULL
sdata <- standata(fit)
for (name in grep("^Zs_", names(sdata), value = TRUE)) {
  Z <- as.matrix(sdata[[name]])
  spline_signs[[name]] <- apply(Z, 2, function(z) sign(z[which.max(abs(z))]))
}

out <- list(id = sub("\\.json$", "", basename(out_path)),
            data = if (startsWith(data_path, "R:")) tolower(sub("^R:", "", data_path))
                   else if (!is.null(imputations)) basename(strsplit(data_path, ":")[[1]][2])
                   else sub("^brms:", "", basename(data_path)),
            imputations = imputations,
            formula = f,
            dpars = dpars,
            fixed = fixed,
            nl = nl,
            center = center,
            ordered = if (length(ordered_levels)) ordered_levels,
            family = fit$family$family,
            link = fit$family$link,
            family_r = fam_str,
            nobs = nrow(d),
            brms_version = as.character(packageVersion("brms")),
            seed = seed, chains = chains, iter = iter,
            seconds_total = total,
            divergences = divergences,
            max_rhat = max_rhat,
            summary = s,
            summary_by_imputation = by_imputation,
            prior = as.data.frame(fit$prior),
            get_prior = gp,
            fitted = fitted_records,
            pp_mixture = membership_records,
            posterior_smooths = smooth_records,
            summary_text = capture.output(summary(fit)),
            spline_signs = spline_signs)
write(toJSON(out, auto_unbox = TRUE, digits = 8, pretty = TRUE), out_path)
cat(sprintf("wrote %s  family=%s link=%s divergences=%d max_rhat=%.4f min_ess_bulk=%.0f seconds=%.1f\n",
            out_path, fit$family$family, fit$family$link, as.integer(divergences), max_rhat,
            min(s$ess_bulk), total))
