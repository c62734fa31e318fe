# loo 2.5.1 (the version brms 2.18 calls) on the draws of make_draws.py: its printed output
# and pointwise results, with brms's per-observation relative efficiencies, and the print of
# loo_compare() against a model with twice the sd, and of waic().
library(loo)
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
draws <- read.csv(file.path(here, "draws.csv"))
y <- read.csv(file.path(here, "data.csv"))$y
ll <- sapply(y, function(value) dnorm(value, draws$mu, draws$sigma, log = TRUE))
r_eff <- relative_eff(exp(ll), chain_id = draws$chain)
fit <- suppressWarnings(loo(ll, r_eff = r_eff))
writeLines(capture.output(print(fit)), file.path(here, "loo_print.txt"))
pointwise <- data.frame(elpd_loo = fit$pointwise[, "elpd_loo"],
                        mcse_elpd_loo = fit$pointwise[, "mcse_elpd_loo"],
                        p_loo = fit$pointwise[, "p_loo"],
                        pareto_k = fit$diagnostics$pareto_k,
                        n_eff = fit$diagnostics$n_eff, r_eff = r_eff)
write.csv(pointwise, file.path(here, "loo_pointwise.csv"), row.names = FALSE)
# a second model on the same draws, with twice the sd, for loo_compare()'s print
ll_wide <- sapply(y, function(value) dnorm(value, draws$mu, 2 * draws$sigma, log = TRUE))
wide <- suppressWarnings(loo(ll_wide, r_eff = relative_eff(exp(ll_wide), chain_id = draws$chain)))
writeLines(capture.output(print(loo_compare(list(normal = fit, wide = wide)))),
           file.path(here, "loo_compare_print.txt"))
writeLines(capture.output(print(suppressWarnings(waic(ll)))), file.path(here, "waic_print.txt"))
writeLines(paste("loo", packageVersion("loo")), file.path(here, "versions.txt"))
# E_loo() (brms's loo_predict() and loo_predictive_interval()) of a quantity of each draw and
# observation, mu + sigma * y / 10, under the PSIS weights of the model
psis_fit <- suppressWarnings(psis(-ll, r_eff = r_eff))
values <- sapply(y, function(value) draws$mu + draws$sigma * value / 10)
expected <- E_loo(values, psis_fit, type = "mean")$value
quantiles <- E_loo(values, psis_fit, type = "quantile", probs = c(0.05, 0.95))$value
write.csv(data.frame(mean = expected, q5 = quantiles[1, ], q95 = quantiles[2, ]),
          file.path(here, "loo_expectation.csv"), row.names = FALSE)
