# loo 2.5.1 (the version brms 2.18 calls) on the draws of make_draws.py: its printed output
# and pointwise results, with brms's per-observation relative efficiencies.
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
writeLines(paste("loo", packageVersion("loo")), file.path(here, "versions.txt"))
