# The order of brms 2.18's prior draws (sample_prior = "yes"): the prior_* variables as its
# Stan code's generated quantities declare them, under the names brms gives them after
# fitting (prior_sd_<id> as prior_sd_<group>, with __<dpar> for a distributional or
# non-linear parameter's; prior_cor_<id> as prior_cor_<group>; a simplex by its elements).
# usage: Rscript make_prior_draw_order.R  (writes prior_draw_order.json and
# prior_draw_order.csv beside it)
suppressMessages(library(brms))
set.seed(20261208)
d <- data.frame(y = rnorm(60), x = rnorm(60), z = sample(1:4, 60, TRUE),
                g = rep(paste0("g", 1:6), 10), h = rep(paste0("h", 1:3), 20))
models <- list(
  slopes = list(formula = bf(y ~ x + (1 + x | g)), family = gaussian(),
                prior = prior(normal(0, 1), class = b)),
  distributional = list(
    formula = bf(y ~ x + mo(z) + (1 + x | g) + (1 | h), sigma ~ x + (1 | g)),
    family = gaussian(),
    prior = prior(normal(0, 1), class = b) + prior(normal(0, 1), class = b, dpar = sigma)),
  student = list(formula = bf(y ~ x + (1 | g)), family = student(), prior = NULL),
  mixture = list(formula = bf(y ~ x + (1 | g)), family = mixture(gaussian, gaussian),
                 prior = prior(normal(0, 1), Intercept, dpar = mu1) +
                   prior(normal(1, 1), Intercept, dpar = mu2)),
  nonlinear = list(formula = bf(y ~ b1 * exp(-lambda * x), b1 ~ 1 + z + (1 | g),
                                lambda ~ 1 + (1 | g), nl = TRUE),
                   family = gaussian(),
                   prior = prior(normal(5, 2), nlpar = b1) + prior(normal(0, 1), nlpar = lambda))
)
brms_names <- function(model) {
  code <- make_stancode(model$formula, d, family = model$family, prior = model$prior,
                        sample_prior = "yes")
  lines <- regmatches(code, gregexpr("\n\\s*(real|simplex\\S*) prior_[A-Za-z0-9_]+", code))[[1]]
  declared <- sub("^.*(prior_[A-Za-z0-9_]+)$", "\\1", lines)
  ranef <- brms:::tidy_ranef(brmsterms(bf(model$formula, family = model$family)), d)
  out <- character(0)
  for (name in declared) {
    id <- suppressWarnings(as.integer(sub("^prior_(sd|cor)_", "", name)))
    if (grepl("^prior_(sd|cor)_[0-9]+$", name)) {
      rows <- ranef[ranef$id == id, ]
      part <- if (nzchar(rows$dpar[1])) rows$dpar[1] else rows$nlpar[1]
      class <- sub("^prior_(sd|cor)_.*$", "\\1", name)
      suffix <- if (class == "sd" && nzchar(part)) paste0("__", part) else ""
      out <- c(out, paste0("prior_", class, "_", rows$group[1], suffix))
    } else if (grepl("^prior_simo_", name)) {
      out <- c(out, paste0("prior_simo_moz1[", 1:3, "]"))  # the one mo(z), z in 1..4
    } else if (name == "prior_theta") {
      out <- c(out, paste0("prior_theta[", 1:2, "]"))
    } else {
      out <- c(out, name)
    }
  }
  out
}
write.csv(d, "prior_draw_order.csv", row.names = FALSE)
writeLines(jsonlite::toJSON(lapply(models, brms_names), pretty = TRUE),
           "prior_draw_order.json")
