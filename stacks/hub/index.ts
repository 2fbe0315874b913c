import { hubProgram } from "./program";

module.exports = hubProgram();
