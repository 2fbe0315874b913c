import { tenantProgram } from "./program";

module.exports = tenantProgram();
